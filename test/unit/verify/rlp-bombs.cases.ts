/** The bomb refusals of rlp-bombs.test.ts, each run in its own heap-capped worker. */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type BlockHeader, EMPTY_UNCLE_HASH, ProofNodeSet, checkChtHeader, decodeHeader, decodeReceipt, verifyReceipts } from '../../../src/verify/index.js';
import { BOMB_DEPTH, BOMB_ITEMS, deepList, typedEnvelope, wideList } from '../../helpers/rlp-bombs.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.slice(2), 'hex'));
// Mainnet block 18,722,845: its hash and receipts root (see helper-tries.test.ts).
const BLOCK = 18722845;
const BLOCK_HASH = hex('0xc3674be7b9d95580d7f23c03d32e946f2b453679ee6505e3a778f003c5a3cfae');
const RECEIPTS_ROOT = hex('0x66934c3fd9c547036fe0e56ad01bc43c84b170be7c4030a86805ddcdab149929');
const header = { receiptsRoot: RECEIPTS_ROOT, uncleHash: EMPTY_UNCLE_HASH } as BlockHeader;
const entry = { hash: BLOCK_HASH, td: 1n };

const wide = () => wideList(BOMB_ITEMS);
const deep = () => deepList(BOMB_DEPTH);
const walk = (node: Uint8Array) => new ProofNodeSet([node], 'proof').walk(keccak256(node), new Uint8Array(32));

export const CASES: Record<string, () => unknown> = {
  'receipts, wide': () => verifyReceipts([typedEnvelope(wide())], header),
  'receipts, deep': () => verifyReceipts([typedEnvelope(deep())], header),
  'receipt decoded, wide': () => decodeReceipt(typedEnvelope(wide())),
  'receipt decoded, deep': () => decodeReceipt(typedEnvelope(deep())),
  'legacy receipt decoded, wide': () => decodeReceipt(wide()),
  'aux header, wide': () => checkChtHeader(entry, BLOCK, wide()),
  'aux header, deep': () => checkChtHeader(entry, BLOCK, deep()),
  'aux header, 60,000 items': () => checkChtHeader(entry, BLOCK, wideList(60_000)),
  'header decoded, wide': () => decodeHeader(wide()),
  'header decoded, deep': () => decodeHeader(deep()),
  'proof node, wide': () => walk(wide()),
  'proof node, deep': () => walk(deep()),
};
