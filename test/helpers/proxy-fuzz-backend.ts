/**
 * A ProxyBackend for fuzzing the proxy without LES servers: the real method table (every param
 * validator) and the real local EVM entry (call objects, overrides, the EVM's first run), over a
 * data layer that has nothing — one head header, and every other header, body, receipt, proof or
 * code is "not served" (a typed error, -32000). So malformed input meets the same checks it would
 * meet in the product, and well-formed input gets a proper JSON-RPC answer instead of data.
 */
import { EventEmitter } from 'node:events';
import type { HeaderChainView, VerifiedHeader } from '../../src/client/contracts.js';
import { EvmCall } from '../../src/client/evm/index.js';
import { type MethodsOdr, createMethods } from '../../src/client/methods/index.js';
import { LespError } from '../../src/errors.js';
import type { BackendStatus, ProxyBackend } from '../../src/proxy/index.js';
import { headerFromRpc } from '../../src/verify/header-rpc.js';

export const FUZZ_CHAIN_ID = 31337n;

const z = (bytes: number): string => `0x${'00'.repeat(bytes)}`;

/** A Prague-era header at block 100 (field values arbitrary but well-formed). */
const HEAD: VerifiedHeader = {
  header: headerFromRpc({
    parentHash: z(32), sha3Uncles: z(32), miner: z(20), stateRoot: z(32), transactionsRoot: z(32), receiptsRoot: z(32),
    logsBloom: z(256), difficulty: '0x0', number: '0x64', gasLimit: '0x1c9c380', gasUsed: '0x0', timestamp: '0x6553f100',
    extraData: '0x', mixHash: z(32), nonce: z(8), baseFeePerGas: '0x3b9aca00', withdrawalsRoot: z(32), blobGasUsed: '0x0',
    excessBlobGas: '0x0', parentBeaconBlockRoot: z(32), requestsHash: z(32),
  }),
  hash: new Uint8Array(32).fill(0x64),
  rlp: new Uint8Array(0),
};

const notServed = (): LespError => new LespError('NOT_SERVED', 'the fuzz backend serves no data');

/** Every member not in `known` is an async function that fails with NOT_SERVED. */
function empty<T extends object>(known: Partial<T>): T {
  return new Proxy(known as T, {
    get: (target, prop) => {
      if (prop in target) return (target as Record<string | symbol, unknown>)[prop];
      if (prop === 'then') return undefined;
      return async () => {
        throw notServed();
      };
    },
  });
}

export class FuzzBackend extends EventEmitter implements ProxyBackend {
  readonly #methods;

  constructor() {
    super();
    const chain = empty<HeaderChainView>({ head: () => HEAD, sectionSize: 4096, latestSection: () => undefined, section: () => undefined });
    const odr = empty<MethodsOdr>({});
    // 'abort': the EVM stops at its first missing account instead of running on without state.
    const call = new EvmCall({ odr, chain, chainId: FUZZ_CHAIN_ID, hardfork: 'prague', missMode: 'abort' }).handler;
    this.#methods = createMethods({ odr, chain, config: { chainId: FUZZ_CHAIN_ID, networkId: FUZZ_CHAIN_ID }, call });
  }

  request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.#methods.request(method, params, signal);
  }

  has(method: string): boolean {
    return this.#methods.has(method);
  }

  /** The method table's names (what the fuzzer calls with junk). */
  list(): string[] {
    return this.#methods.list();
  }

  status(): BackendStatus {
    return { synced: true, head: { number: 100, hash: `0x${'64'.repeat(32)}` }, servers: 1 };
  }
}
