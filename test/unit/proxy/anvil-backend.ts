/**
 * A ProxyBackend that forwards to anvil — for testing the proxy layer only (nothing here is
 * verified; the real backend is the LesClient engine). It answers the standard eth_* methods,
 * passes anvil's errors through with their codes, and emits newHead when anvil's latest block
 * changes (polled).
 */
import { EventEmitter } from 'node:events';
import type { BackendStatus, HeadJson, ProxyBackend } from '../../../src/proxy/index.js';
import { UpstreamRpcError } from '../../../src/proxy/index.js';

const METHODS = new Set([
  'eth_blockNumber', 'eth_chainId', 'net_version', 'web3_clientVersion', 'eth_syncing', 'eth_gasPrice', 'eth_maxPriorityFeePerGas',
  'eth_feeHistory', 'eth_getBalance', 'eth_getCode', 'eth_getStorageAt', 'eth_getTransactionCount', 'eth_getProof', 'eth_call',
  'eth_estimateGas', 'eth_createAccessList', 'eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_getBlockReceipts',
  'eth_getBlockTransactionCountByNumber', 'eth_getBlockTransactionCountByHash', 'eth_getTransactionByHash',
  'eth_getTransactionByBlockNumberAndIndex', 'eth_getTransactionByBlockHashAndIndex', 'eth_getTransactionReceipt', 'eth_getLogs',
  'eth_sendRawTransaction', 'eth_blobBaseFee',
]);

/** Block fields that are not part of a header (the newHeads shape is the header). */
const NOT_HEADER = new Set(['transactions', 'uncles', 'size', 'withdrawals', 'totalDifficulty']);

export class AnvilBackend extends EventEmitter implements ProxyBackend {
  #nextId = 1;
  #timer: NodeJS.Timeout | undefined;
  #head: { number: number; hash: string } | undefined;
  #polling = false;

  constructor(readonly url: string, readonly pollMs = 50) {
    super();
  }

  async rpc(method: string, params: unknown): Promise<unknown> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: this.#nextId++, method, params: params ?? [] }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (body.error !== undefined) throw new UpstreamRpcError(body.error.code, body.error.message, body.error.data);
    return body.result;
  }

  request(method: string, params: unknown): Promise<unknown> {
    return this.rpc(method, params);
  }

  has(method: string): boolean {
    return METHODS.has(method);
  }

  status(): BackendStatus {
    return { synced: this.#head !== undefined, head: this.#head, servers: 1 };
  }

  async start(): Promise<void> {
    await this.#poll();
    this.#timer = setInterval(() => void this.#poll(), this.pollMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const block = (await this.rpc('eth_getBlockByNumber', ['latest', false])) as Record<string, unknown>;
      if (block.hash !== this.#head?.hash) {
        this.#head = { number: Number(block.number), hash: String(block.hash) };
        const header = Object.fromEntries(Object.entries(block).filter(([k]) => !NOT_HEADER.has(k))) as HeadJson;
        this.emit('newHead', header);
      }
    } catch {
      // anvil stopping: the next poll tries again.
    } finally {
      this.#polling = false;
    }
  }
}
