/**
 * Which blocks' state the node can prove, found at start by asking `eth_getProof` at block 0, at
 * head − 127 and at the head: an archive node proves all (serveStateSince 0), a full node the
 * latest 128 states (go-ethereum's default; serveRecentState 128), a node that proves only its head
 * gives a window of 1, and one that proves nothing is served without state (headers, bodies,
 * receipts still are). Each probe's proof (of the zero address) must check against that block's
 * header: anvil's genesis header commits to the empty state while its dev accounts are funded, so
 * its block-0 proofs prove nothing and state is served from block 1.
 */
import { fetchBlockHead } from '../rpc/block.js';
import type { NodeRpcClient } from '../rpc/client.js';
import { quantityHex } from '../rpc/hex.js';
import { verifyAccountProof } from '../../verify/state.js';

/** What a full node keeps: go-ethereum's default state history. */
export const FULL_NODE_STATES = 128;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export interface StateWindow {
  /** serveStateSince: the first block whose state is served (MAX_SAFE_INTEGER: none). */
  since: number;
  /** serveRecentState: 0 = every block since `since`; N = the N latest blocks. */
  recent: number;
  /** One line for the operator. */
  summary: string;
}

export const NO_STATE = Number.MAX_SAFE_INTEGER;

/** undefined when the node proves state at block `n` against that block's header; else why not. */
async function proves(rpc: NodeRpcClient, n: number): Promise<string | undefined> {
  try {
    const [r, head] = await Promise.all([rpc.call<unknown>('eth_getProof', [ZERO_ADDRESS, [], quantityHex(n)], { timeoutMs: 10_000 }), fetchBlockHead(rpc, n)]);
    const proof = typeof r === 'object' && r !== null ? (r as { accountProof?: unknown }).accountProof : undefined;
    if (!Array.isArray(proof) || proof.length > 80 || !proof.every((x) => typeof x === 'string' && /^0x(?:[0-9a-fA-F]{2}){1,1024}$/.test(x))) return 'an answer without a proper accountProof';
    if (head === undefined) return `no block ${n}`;
    const nodes = (proof as string[]).map((x) => Uint8Array.from(Buffer.from(x.slice(2), 'hex'))).filter((x) => !(x.length === 1 && x[0] === 0x80));
    verifyAccountProof(head.stateRoot, new Uint8Array(20), nodes);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function probeStateWindow(rpc: NodeRpcClient, head: number): Promise<StateWindow> {
  const atHead = await proves(rpc, head);
  // A fresh dev chain (anvil at block 0) cannot be probed past genesis yet: serve from block 1, as
  // for any node whose genesis proofs do not match (every answer is still checked before it is sent).
  if (atHead !== undefined && head === 0) {
    return { since: 1, recent: 0, summary: `state: every block from 1 (the node's proofs at genesis, its only block yet, do not match its genesis header: ${atHead})` };
  }
  if (atHead !== undefined) return { since: NO_STATE, recent: 0, summary: `state: none (eth_getProof at the head fails: ${atHead})` };
  const atZero = head === 0 ? undefined : await proves(rpc, 0);
  if (atZero === undefined) return { since: 0, recent: 0, summary: 'state: every block (the node proves state at genesis: an archive node)' };
  if (head === 1 || (await proves(rpc, 1)) === undefined) {
    return { since: 1, recent: 0, summary: `state: every block from 1 (the node's proofs at genesis do not match its genesis header: ${atZero})` };
  }
  const back = Math.max(0, head - (FULL_NODE_STATES - 1));
  if ((await proves(rpc, back)) === undefined) {
    return { since: back, recent: FULL_NODE_STATES, summary: `state: the last ${FULL_NODE_STATES} blocks (the node keeps no older state)` };
  }
  return { since: head, recent: 1, summary: 'state: the head block only (the node proves no older state)' };
}
