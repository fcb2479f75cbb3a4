import { Code, type RequestCode } from './codes.js';

/** Largest LES message accepted or sent, in bytes of RLP (DESIGN §4). */
export const MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/** Soft cap on a reply's size: a server stops adding items once it is passed. */
export const SOFT_REPLY_SIZE = 2 * 1024 * 1024;

/** Items per request that a server serves; a request asking for more is over its limit. */
export const MAX_ITEMS: Readonly<Record<RequestCode, number>> = {
  [Code.GetBlockHeaders]: 192,
  [Code.GetBlockBodies]: 32,
  [Code.GetReceipts]: 128,
  [Code.GetContractCodes]: 64,
  [Code.GetProofsV2]: 64,
  [Code.GetHelperTrieProofs]: 64,
  [Code.SendTxV2]: 64,
  [Code.GetTxStatus]: 256,
  [Code.GetBeaconLightClient]: 4,
};

/** Bad requests (malformed, over a limit, unserved type) tolerated before a server disconnects. */
export const MAX_BAD_REQUESTS = 20;

/** Status handshake must finish within this many milliseconds. */
export const HANDSHAKE_TIMEOUT_MS = 5000;
