/**
 * `lesTransport`: a viem transport made with viem's own `createTransport`, answering every request
 * from the light client's method table (verified, in process, no JSON-RPC server in between).
 *
 * Errors leave as viem's: each is turned into the JSON-RPC error the proxy would send (the one
 * table, client/methods/errors.ts) and thrown as viem's RpcRequestError, which viem then maps by
 * code exactly as for `http()` — a revert (code 3, data = the revert bytes) decodes into
 * ContractFunctionRevertedError, -32602 is InvalidParamsRpcError, -32000 ("not served", "header
 * not found") InvalidInputRpcError, -32002 (no server) ResourceUnavailableRpcError, and -32040
 * (verification failed everywhere) stays an RpcRequestError with that code; our own message and
 * `data` ({ code, field }) are kept on the error. `custom(eip1193)` instead sees a foreign error,
 * wraps a revert as UnknownRpcError and retries it. Retries are off by default (retryCount 0): the
 * engine already asks other servers, and the same question gets the same verified answer.
 */
import { type EIP1193RequestFn, type Transport, type TransportConfig, RpcRequestError, createTransport } from 'viem';
import { LesClient } from './engine/client.js';
import type { LesClientOptions } from './engine/options.js';
import { toRpcError } from './methods/errors.js';

/** What the transport needs of an engine: a LesClient, or a stand-in answering the same table. */
export interface ViemEngine {
  start(): Promise<void>;
  stop(): Promise<void>;
  request(method: string, params?: unknown, signal?: AbortSignal): Promise<unknown>;
}

/**
 * The engine to use: a LesClient (or stand-in), a surface over one (a LesProvider or the EIP-1193
 * object: their `engine` is used), or the options of a new LesClient.
 */
export type LesTransportSource = ViemEngine | { readonly engine: ViemEngine } | LesClientOptions;

export interface LesTransportConfig {
  /** viem's retries of a failed request (default 0; see above). */
  retryCount?: number;
  /** Base delay of viem's retries, ms (viem's default 150). */
  retryDelay?: number;
  /** Methods to include or exclude (viem's transport option). */
  methods?: TransportConfig['methods'];
  key?: string;
  name?: string;
}

export interface LesTransportAttributes {
  /** The engine every request goes to. */
  engine: ViemEngine;
  /** Stops the engine if this transport made it (from options); an engine passed in is its owner's to stop. */
  close(): Promise<void>;
}

export type LesTransport = Transport<'les', LesTransportAttributes>;

const isEngine = (v: unknown): v is ViemEngine =>
  typeof v === 'object' && v !== null && typeof (v as ViemEngine).request === 'function' && typeof (v as ViemEngine).start === 'function';

function engineOf(source: LesTransportSource): { engine: ViemEngine; owned: boolean } {
  const inner = (source as { engine?: unknown }).engine;
  if (isEngine(inner)) return { engine: inner, owned: false };
  if (isEngine(source)) return { engine: source, owned: false };
  return { engine: new LesClient(source as LesClientOptions), owned: true };
}

/**
 * A viem transport over the light client: `createPublicClient({ chain, transport: lesTransport(opts) })`.
 * The engine is started by the first request.
 */
export function lesTransport(source: LesTransportSource, config: LesTransportConfig = {}): LesTransport {
  const { engine, owned } = engineOf(source);
  let started: Promise<void> | undefined;
  const attributes: LesTransportAttributes = {
    engine,
    close: async () => {
      if (owned) await engine.stop();
    },
  };
  // viem types the answer by method; the engine's table answers as JSON-RPC does (unknown here).
  const request = (async ({ method, params }: { method: string; params?: unknown }, options?: { signal?: AbortSignal }) => {
    try {
      started ??= engine.start();
      await started;
      return await engine.request(method, params ?? [], options?.signal);
    } catch (e) {
      // The proxy's JSON-RPC error, as http() would have received it.
      throw new RpcRequestError({ body: { method, params }, error: toRpcError(e, 'proxy'), url: 'les://light-client' });
    }
  }) as EIP1193RequestFn;
  return () =>
    createTransport(
      {
        key: config.key ?? 'les',
        name: config.name ?? 'LES light client',
        type: 'les',
        methods: config.methods,
        retryCount: config.retryCount ?? 0,
        retryDelay: config.retryDelay,
        request,
      },
      attributes,
    );
}
