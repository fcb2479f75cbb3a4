/**
 * A JSON-RPC relay in front of a test anvil that never lets anvil mine while it is answering
 * anything else.
 *
 * Why: anvil 1.x can deadlock when a block is mined while other requests read state (a writer
 * waiting on a lock that a reader holds twice; cf. foundry-rs/foundry#10452, #5448). Our LES
 * servers read anvil all the time (traces, proofs, receipts, blocks), so a test that mines while
 * servers follow hung about once in two full runs, in anvil_mine. Through this gate every call
 * that changes the chain (anvil_*, evm_*, eth_send*) runs alone: it waits until the calls in flight
 * are answered, holds new ones back, and — for a send on an automining anvil, which mines after it
 * answers — lasts until the transaction's block exists.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { receiptOf, rpcCall } from './anvil.js';

/** anvil_* / evm_* calls that only read. */
const READS = new Set(['anvil_getAutomine', 'anvil_nodeInfo', 'anvil_metadata', 'anvil_dumpState']);
const SENDS = new Set(['eth_sendTransaction', 'eth_sendRawTransaction']);

const changesChain = (method: string): boolean =>
  SENDS.has(method) || ((method.startsWith('anvil_') || method.startsWith('evm_')) && !READS.has(method));

export interface RpcGate {
  /** Where to send calls instead of anvil. */
  url: string;
  close(): Promise<void>;
}

export async function startRpcGate(target: string): Promise<RpcGate> {
  let inFlight = 0;
  /** Set while a chain-changing call waits or runs: new calls wait for it. */
  let exclusive: Promise<void> | undefined;
  let drained: (() => void) | undefined;

  const forward = async (body: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(60_000) });
    return { status: res.status, text: await res.text() };
  };

  const shared = async (body: string) => {
    while (exclusive) await exclusive;
    inFlight++;
    try {
      return await forward(body);
    } finally {
      inFlight--;
      if (inFlight === 0) drained?.();
    }
  };

  /** Sent transactions' hashes in a reply to `calls` (single or batch). */
  const sentHashes = (calls: Array<{ method?: unknown; id?: unknown }>, text: string): string[] => {
    const sendIds = new Set(calls.filter((c) => SENDS.has(String(c.method))).map((c) => JSON.stringify(c.id)));
    if (sendIds.size === 0) return [];
    try {
      const parsed = JSON.parse(text) as unknown;
      const replies = (Array.isArray(parsed) ? parsed : [parsed]) as Array<{ id?: unknown; result?: unknown }>;
      return replies.filter((r) => sendIds.has(JSON.stringify(r.id)) && typeof r.result === 'string').map((r) => r.result as string);
    } catch {
      return [];
    }
  };

  const alone = async (body: string, calls: Array<{ method?: unknown; id?: unknown }>) => {
    while (exclusive) await exclusive;
    let release!: () => void;
    exclusive = new Promise<void>((resolve) => (release = resolve));
    try {
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      drained = undefined;
      const reply = await forward(body);
      const hashes = sentHashes(calls, reply.text);
      if (hashes.length > 0 && (await rpcCall<boolean>(target, 'anvil_getAutomine'))) {
        // A send that never mines is the test's to find: the gate only stops waiting.
        const anvil = { rpc: <T>(method: string, params?: unknown[]) => rpcCall<T>(target, method, params) };
        for (const h of hashes) await receiptOf(anvil, h).catch(() => undefined);
      }
      return reply;
    } finally {
      exclusive = undefined;
      release();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    let calls: Array<{ method?: unknown; id?: unknown }> = [];
    try {
      const parsed = JSON.parse(body) as unknown;
      calls = (Array.isArray(parsed) ? parsed : [parsed]) as typeof calls;
    } catch {
      // not JSON: anvil answers that itself
    }
    try {
      const reply = calls.some((c) => typeof c?.method === 'string' && changesChain(c.method)) ? await alone(body, calls) : await shared(body);
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.text);
    } catch (e) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`rpc gate: ${(e as Error).message}`);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
