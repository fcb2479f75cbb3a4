/**
 * A small beacon chain over anvil for beacon-trust tests: the minimal preset (32 deterministic
 * keys; the mainnet preset's 512 when asked), beacon slot s carrying anvil's real block s (hash and number), each block's state
 * finalizing the block 8 slots back, served over the beacon API by a local REST server. A served
 * source may lie: its updates then name an execution block the committee did not sign.
 */
import { type BeaconConfig, type BeaconPreset, type LightClientUpdate, MINIMAL_PRESET, beaconConfig, toBeaconJson } from '../../src/verify/beacon/index.js';
import type { Anvil } from './anvil.js';
import { type BeaconApiReply, type BeaconApiServer, bytesHex, hexBytes, startBeaconApi } from './beacon-vectors.js';
import { SyntheticBeaconChain } from '../unit/beacon/synthetic-chain.js';

const v = (x: number) => Uint8Array.of(x, 0, 0, 0x07);

/** Slots of this many seconds from `genesisTime`: the wall-clock slot stays ahead of the slots the tests sign. */
export const TEST_SECONDS_PER_SLOT = 12;

/**
 * The test beacon chain's config. Its wall clock puts slot `nowSlot` at the time of the call;
 * `minEpochsForBlockRequests` makes older checkpoints too old to sync from.
 */
export function testBeaconConfig(o: { nowSlot?: number; minEpochsForBlockRequests?: number; preset?: BeaconPreset } = {}): BeaconConfig {
  return beaconConfig({
    preset: o.preset ?? MINIMAL_PRESET,
    genesisValidatorsRoot: new Uint8Array(32).fill(0x11),
    genesisTime: Math.floor(Date.now() / 1000) - (o.nowSlot ?? 40) * TEST_SECONDS_PER_SLOT,
    secondsPerSlot: TEST_SECONDS_PER_SLOT,
    minEpochsForBlockRequests: o.minEpochsForBlockRequests,
    forks: [
      { name: 'phase0', version: v(0), epoch: 0n },
      { name: 'capella', version: v(3), epoch: 0n },
      { name: 'deneb', version: v(4), epoch: 0n },
      { name: 'electra', version: v(5), epoch: 0n },
    ],
  });
}

export type BeaconLie = 'execution-hash';

export class BeaconOverAnvil {
  readonly chain: SyntheticBeaconChain;
  latest: LightClientUpdate | undefined;
  slot = 0n;
  readonly #slots = new Map<string, bigint>();

  constructor(
    readonly anvil: Pick<Anvil, 'rpc'>,
    readonly config: BeaconConfig = testBeaconConfig(),
  ) {
    this.chain = new SyntheticBeaconChain(config);
  }

  /** Adds beacon blocks up to slot `n` over anvil's blocks (anvil must have them); `fakeHashAt` names a hash anvil has not. */
  async extendTo(n: number, fakeHashAt?: number): Promise<void> {
    for (let s = Number(this.slot) + 1; s <= n; s++) {
      const block = await this.anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${s.toString(16)}`, false]);
      const hash = s === fakeHashAt ? new Uint8Array(32).fill(0xee) : hexBytes(block.hash);
      this.chain.addBlock(BigInt(s), s === 1 ? undefined : BigInt(Math.max(1, s - 8)), { block_hash: hash, block_number: BigInt(s) });
      this.#slots.set(bytesHex(this.chain.root(BigInt(s))), BigInt(s));
    }
    this.slot = BigInt(n);
    this.latest = this.chain.update(this.slot, this.slot + 1n);
  }

  /** The checkpoint root of a slot's block. */
  root(slot: number): string {
    return bytesHex(this.chain.root(BigInt(slot)));
  }

  /** The beacon API over this chain: a bootstrap for any of its blocks, its latest updates. */
  handler(lie?: BeaconLie): (path: string) => BeaconApiReply {
    const config = this.config;
    const wrap = (kind: Parameters<typeof toBeaconJson>[2], value: unknown) => ({ version: 'electra', data: toBeaconJson(config, 'electra', kind, value as never) });
    const tamper = <T extends { attested_header: LightClientUpdate['attested_header'] }>(u: T): T =>
      lie === undefined ? u : { ...u, attested_header: { ...u.attested_header, execution: { ...u.attested_header.execution, block_hash: new Uint8Array(32).fill(0xdd) } } };
    return (path) => {
      const boot = /^\/eth\/v1\/beacon\/light_client\/bootstrap\/(0x[0-9a-f]{64})$/.exec(path);
      if (boot !== null) {
        const slot = this.#slots.get(boot[1] as string);
        return slot === undefined ? { status: 404, json: { code: 404, message: 'unknown block' } } : { json: wrap('LightClientBootstrap', this.chain.bootstrap(slot)) };
      }
      if (this.latest === undefined) return { status: 404, json: {} };
      if (path === '/eth/v1/beacon/light_client/updates') return { json: [wrap('LightClientUpdate', tamper(this.latest))] };
      if (path === '/eth/v1/beacon/light_client/finality_update') return { json: wrap('LightClientFinalityUpdate', tamper(this.chain.finalityUpdate(this.slot, this.slot + 1n))) };
      if (path === '/eth/v1/beacon/light_client/optimistic_update') return { json: wrap('LightClientOptimisticUpdate', tamper(this.chain.optimisticUpdate(this.slot, this.slot + 1n))) };
      return { status: 404, json: {} };
    };
  }

  /** Serves the chain's beacon API on a free local port. */
  serve(lie?: BeaconLie): Promise<BeaconApiServer> {
    return startBeaconApi(this.handler(lie));
  }
}
