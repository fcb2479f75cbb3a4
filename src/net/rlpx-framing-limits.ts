/** The RLPx reader's limits, shared by our devp2p reader (rlpx-framing.ts) and the pure-JS session (rlpx-session.ts). */
import { MAX_MESSAGE_SIZE } from '../wire/limits.js';

/** go-ethereum's frameReadTimeout: a packet, once begun, must complete within this. */
export const DEFAULT_FRAME_READ_TIMEOUT_MS = 30_000;
/**
 * The largest frame an honest peer sends: a 10 MiB message after snappy's worst case
 * (32 + n + n/6), its code byte, padding to 16 and the 16-byte MAC.
 */
export const MAX_FRAME_SIZE = 32 + MAX_MESSAGE_SIZE + Math.ceil(MAX_MESSAGE_SIZE / 6) + 1 + 16 + 16;
