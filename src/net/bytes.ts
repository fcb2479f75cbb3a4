/** The byte helpers the net layer uses (one implementation for all layers: src/bytes.ts). */
export { equalBytes, hexToBytes, toHex as bytesToHex } from '../bytes.js';
