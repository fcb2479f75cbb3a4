/**
 * An HTTP JSON-RPC relay in front of anvil that behaves like a pruned full node (go-ethereum's
 * default): state is kept for the latest 128 blocks only, so eth_getProof, eth_getCode,
 * eth_getBalance, eth_getStorageAt, eth_getTransactionCount, eth_call, eth_estimateGas and
 * eth_createAccessList at an older block answer go-ethereum's "missing trie node" error; debug_*,
 * anvil_*, evm_* and hardhat_* do not exist (go-ethereum's "method does not exist" error, -32601).
 * With `prunedHistoryBelow` it also acts as go-ethereum with `--history.chain postmerge`: blocks,
 * receipts and transactions below that number answer "pruned history unavailable" (code 4444),
 * while their headers stay available through go-ethereum's eth_getHeaderByNumber/ByHash.
 * Everything else, batches included, goes to anvil unchanged.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The states a go-ethereum full node keeps (its TriesInMemory). */
export const KEPT_STATES = 128;

/** State methods and where their block parameter is. */
const STATE_METHODS: Record<string, number> = {
  eth_getProof: 2,
  eth_getCode: 1,
  eth_getBalance: 1,
  eth_getStorageAt: 2,
  eth_getTransactionCount: 1,
  eth_call: 1,
  eth_estimateGas: 1,
  eth_createAccessList: 1,
};
const HIDDEN = /^(debug|anvil|evm|hardhat|trace|ots|erigon)_/;

export interface PrunedRelayOptions {
  /** States kept. Default KEPT_STATES (128). */
  keptStates?: number;
  /** Methods that do not exist. Default: debug_*, anvil_*, evm_*, hardhat_*, trace_*, ots_*, erigon_*. */
  hidden?: RegExp;
  /** Blocks below this number have no body, receipts or transactions any more, only headers. */
  prunedHistoryBelow?: number;
}

/** Methods whose answer belongs to one block, and where its number is in the answer. */
const HISTORY_METHODS: Record<string, (result: unknown) => unknown> = {
  eth_getBlockByNumber: (r) => (r as { number?: unknown } | null)?.number,
  eth_getBlockByHash: (r) => (r as { number?: unknown } | null)?.number,
  eth_getBlockReceipts: (r) => (Array.isArray(r) ? (r[0] as { blockNumber?: unknown } | undefined)?.blockNumber : undefined),
  eth_getTransactionReceipt: (r) => (r as { blockNumber?: unknown } | null)?.blockNumber,
  eth_getTransactionByHash: (r) => (r as { blockNumber?: unknown } | null)?.blockNumber,
  eth_getUncleByBlockHashAndIndex: () => undefined,
};
/** go-ethereum's header JSON: the block's without what only the body gives. */
const HEADER_METHODS: Record<string, string> = { eth_getHeaderByNumber: 'eth_getBlockByNumber', eth_getHeaderByHash: 'eth_getBlockByHash' };
const BODY_FIELDS = ['transactions', 'uncles', 'withdrawals', 'size', 'totalDifficulty'];

interface Call {
  jsonrpc?: string;
  id: unknown;
  method: string;
  params?: unknown[];
}

export interface PrunedRelay {
  url: string;
  /** Calls refused for pruned state, and calls to hidden methods. */
  stats: { pruned: number; hidden: number; relayed: number; prunedHistory: number };
  close(): Promise<void>;
}

async function upstream(url: string, body: unknown): Promise<unknown> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return r.json();
}

export async function startPrunedRelay(nodeUrl: string, options: PrunedRelayOptions = {}): Promise<PrunedRelay> {
  const kept = options.keptStates ?? KEPT_STATES;
  const hidden = options.hidden ?? HIDDEN;
  const stats = { pruned: 0, hidden: 0, relayed: 0, prunedHistory: 0 };
  const historyFrom = options.prunedHistoryBelow ?? 0;
  const one = async (method: string, params: unknown[]): Promise<unknown> => {
    const a = (await upstream(nodeUrl, { jsonrpc: '2.0', id: 1, method, params })) as { result?: unknown; error?: { message: string } };
    if (a.error !== undefined) throw new Error(a.error.message);
    return a.result;
  };

  /** The number a block parameter names, or undefined when the node does not know it. */
  async function blockNumberOf(tag: unknown, head: number): Promise<number | undefined> {
    if (tag === undefined || tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') return head;
    if (tag === 'earliest') return 0;
    if (typeof tag === 'object' && tag !== null) {
      const o = tag as { blockHash?: string; blockNumber?: string };
      if (o.blockHash !== undefined) tag = o.blockHash;
      else if (o.blockNumber !== undefined) return blockNumberOf(o.blockNumber, head);
    }
    if (typeof tag !== 'string') return undefined;
    if (tag.length === 66) {
      const b = (await one('eth_getBlockByHash', [tag, false])) as { number: string } | null;
      return b === null ? undefined : Number(b.number);
    }
    return Number(tag);
  }

  async function answer(call: Call, head: () => Promise<number>): Promise<unknown> {
    const base = { jsonrpc: '2.0', id: call.id ?? null };
    if (hidden.test(call.method)) {
      stats.hidden++;
      return { ...base, error: { code: -32601, message: `the method ${call.method} does not exist/is not available` } };
    }
    const at = STATE_METHODS[call.method];
    if (at !== undefined) {
      const h = await head();
      const n = await blockNumberOf(call.params?.[at], h);
      if (n !== undefined && n <= h - kept) {
        stats.pruned++;
        const block = (await one('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])) as { stateRoot: string } | null;
        const root = block?.stateRoot ?? `0x${'00'.repeat(32)}`;
        return { ...base, error: { code: -32000, message: `missing trie node ${root.slice(2)} (path ) state ${root} is not available, not found` } };
      }
    }
    const headerOf = HEADER_METHODS[call.method];
    if (headerOf !== undefined) {
      // As go-ethereum: the block number or hash alone.
      if ((call.params?.length ?? 0) !== 1) return { ...base, error: { code: -32602, message: `too many arguments, want at most 1` } };
      const block = (await one(headerOf, [call.params?.[0], false])) as Record<string, unknown> | null;
      if (block !== null) for (const f of BODY_FIELDS) delete block[f];
      return { ...base, result: block };
    }
    stats.relayed++;
    const answer = (await upstream(nodeUrl, { ...call, jsonrpc: '2.0' })) as { result?: unknown };
    const numberOf = HISTORY_METHODS[call.method];
    if (historyFrom > 0 && numberOf !== undefined) {
      let n = numberOf(answer.result);
      if (call.method === 'eth_getUncleByBlockHashAndIndex') n = ((await one('eth_getBlockByHash', [call.params?.[0], false])) as { number?: unknown } | null)?.number;
      if (typeof n === 'string' && Number(n) < historyFrom) {
        stats.prunedHistory++;
        return { ...base, error: { code: 4444, message: 'pruned history unavailable' } };
      }
    }
    return answer;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const d of req) body += (d as Buffer).toString();
    let parsed: Call | Call[];
    try {
      parsed = JSON.parse(body) as Call | Call[];
    } catch {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    // One head for the whole request, asked only if a state method needs it.
    let headP: Promise<number> | undefined;
    const head = (): Promise<number> => (headP ??= one('eth_blockNumber', []).then((x) => Number(x)));
    const out = Array.isArray(parsed) ? await Promise.all(parsed.map((c) => answer(c, head))) : await answer(parsed, head);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(out));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.statusCode = 502;
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: (e as Error).message } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
