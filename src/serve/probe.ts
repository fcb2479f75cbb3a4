/**
 * What the execution node behind `--rpc` can give, found at start with a few harmless calls, and
 * one summary for the operator of what will be served, what not and why. Only a node without
 * the block methods is refused (nothing can be served without headers); anything else missing
 * narrows what is served:
 * - receipts: `eth_getBlockReceipts`, else `eth_getTransactionReceipt` per transaction (Hardhat),
 *   else none;
 * - state: the window of blocks whose `eth_getProof` checks against their header (state/window.ts);
 * - code: `eth_getCode`;
 * - transactions of types the JSON cannot rebuild: `debug_getRawTransaction`;
 * - uncles (pre-merge bodies): `eth_getUncleByBlockHashAndIndex`;
 * - SendTxV2: `eth_sendRawTransaction` (asked with an empty transaction the node must refuse);
 * - pruned history (go-ethereum `--history.chain postmerge`): block 1 refused as pruned, its
 *   headers read with `eth_getHeaderByNumber` (chain/source.ts).
 * A method counts as missing only when the node says so (isMissingMethod); any other error
 * means it is there and refused these parameters.
 */
import type { ReceiptsMethod } from './chain/source.js';
import type { NodeRpcClient } from './rpc/client.js';
import { NodeRpcError, isMissingMethod, isPrunedHistory } from './rpc/errors.js';
import { quantityHex } from './rpc/hex.js';
import { ServeError } from './server/errors.js';
import { NO_STATE, type StateWindow, probeStateWindow } from './state/window.js';

const ZERO_HASH = `0x${'00'.repeat(32)}`;
const ZERO_ADDRESS = `0x${'00'.repeat(20)}`;

export interface NodeCapabilities {
  receipts: ReceiptsMethod;
  state: StateWindow;
  code: boolean;
  rawTx: boolean;
  uncles: boolean;
  txRelay: boolean;
  /** The node pruned old bodies and receipts (block 1 is refused as pruned history). */
  prunedHistory: boolean;
  /** One line per part: "served: …", "not served: … (why)", "new heads: …". */
  lines: string[];
  /** `lines` in one message: "served: a; b — not served: c (why) — new heads: …". */
  summary: string;
}

export interface ProbeOptions {
  /** The node's head number (eth_blockNumber). */
  head: number;
  /** The ws:// URL new heads come from, if any. */
  wsUrl?: string;
  pollIntervalMs?: number;
}

/** The node's answer to one call: a result, or its error and whether that error says "no such method". */
async function has(rpc: NodeRpcClient, method: string, params: unknown[]): Promise<{ ok: true; result: unknown } | { ok: false; missing: boolean; error: unknown }> {
  try {
    return { ok: true, result: await rpc.call(method, params, { timeoutMs: 10_000 }) };
  } catch (error) {
    return { ok: false, missing: isMissingMethod(error), error };
  }
}

/** A block method must answer; a node that cannot be reached is that error, not an unsuitable node. */
function need(method: string, answer: Awaited<ReturnType<typeof has>>): void {
  if (answer.ok) return;
  if (!(answer.error instanceof NodeRpcError) || answer.error.code !== 'NODE_RPC_ERROR') throw answer.error;
  const why = answer.missing ? 'the node does not have it' : (answer.error as Error).message;
  throw new ServeError('SERVE_NODE_UNSUITABLE', `the node cannot be served from: ${method} fails (${why}); headers need eth_getBlockByNumber and eth_getBlockByHash`, { field: method });
}

export async function probeNode(rpc: NodeRpcClient, options: ProbeOptions): Promise<NodeCapabilities> {
  const byNumber = await has(rpc, 'eth_getBlockByNumber', [quantityHex(options.head), false]);
  need('eth_getBlockByNumber', byNumber);
  const hash = byNumber.ok ? (byNumber.result as { hash?: unknown } | null)?.hash : undefined;
  const blockHash = typeof hash === 'string' ? hash : ZERO_HASH;
  need('eth_getBlockByHash', await has(rpc, 'eth_getBlockByHash', [blockHash, false]));

  const [blockReceipts, txReceipt, uncle, rawTx, code, send, first] = await Promise.all([
    has(rpc, 'eth_getBlockReceipts', [blockHash]),
    has(rpc, 'eth_getTransactionReceipt', [ZERO_HASH]),
    has(rpc, 'eth_getUncleByBlockHashAndIndex', [blockHash, '0x0']),
    has(rpc, 'debug_getRawTransaction', [ZERO_HASH]),
    has(rpc, 'eth_getCode', [ZERO_ADDRESS, quantityHex(options.head)]),
    has(rpc, 'eth_sendRawTransaction', ['0x']),
    has(rpc, 'eth_getBlockByNumber', ['0x1', false]),
  ]);
  const prunedHistory = options.head >= 1 && !first.ok && isPrunedHistory(first.error);
  const present = (a: Awaited<ReturnType<typeof has>>): boolean => a.ok || !a.missing;
  const receipts: ReceiptsMethod = present(blockReceipts) ? 'block' : present(txReceipt) ? 'transaction' : 'none';
  const state = await probeStateWindow(rpc, options.head);

  const lines = ['served: headers and bodies (eth_getBlockByNumber/ByHash, each re-encoded and checked against its hash and roots)'];
  if (prunedHistory) {
    lines.push("served: headers of the node's pruned history (eth_getHeaderByNumber)");
    lines.push('not served: bodies, receipts and transaction lookups of the blocks the node pruned (it answers "pruned history unavailable")');
  }
  if (receipts === 'block') lines.push('served: receipts (eth_getBlockReceipts)');
  else if (receipts === 'transaction') lines.push('served: receipts per transaction (no eth_getBlockReceipts: eth_getTransactionReceipt for each)');
  else lines.push('not served: receipts (the node has neither eth_getBlockReceipts nor eth_getTransactionReceipt)');
  lines.push(`${state.since === NO_STATE ? 'not served' : 'served'}: ${state.summary}`);
  const stateServed = state.since !== NO_STATE;
  const codeServed = stateServed && present(code);
  if (stateServed) lines.push(present(code) ? 'served: contract code (eth_getCode)' : 'not served: contract code (no eth_getCode)');
  lines.push('served: CHT and BloomBits sections once built from every header since genesis (they are built in the background; the rest is served meanwhile)');
  if (!present(uncle)) lines.push('not served: bodies of blocks with uncles (no eth_getUncleByBlockHashAndIndex; a chain since the merge has none)');
  if (!present(rawTx)) lines.push('not served: transactions of types the block JSON cannot rebuild (no debug_getRawTransaction)');
  lines.push(present(send) ? 'served: transaction relay (eth_sendRawTransaction)' : 'not served: transaction relay (no eth_sendRawTransaction)');
  lines.push(options.wsUrl !== undefined ? `new heads: eth_subscribe("newHeads") at ${options.wsUrl}, with polling as a safety net` : `new heads: polling every ${options.pollIntervalMs ?? 1000} ms (give a ws:// URL to be notified)`);
  return {
    receipts,
    state,
    code: codeServed,
    rawTx: present(rawTx),
    uncles: present(uncle),
    txRelay: present(send),
    prunedHistory,
    lines,
    summary: summarize(lines),
  };
}

function summarize(lines: readonly string[]): string {
  const part = (prefix: string): string[] => lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  const served = part('served: ');
  const not = part('not served: ');
  return [`served: ${served.join('; ')}`, ...(not.length > 0 ? [`not served: ${not.join('; ')}`] : []), ...lines.filter((l) => l.startsWith('new heads: '))].join(' — ');
}
