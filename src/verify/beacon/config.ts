/**
 * Beacon chain parameters the light client depends on: the preset (committee size, slot and
 * period lengths; the SSZ vector sizes follow from it) and a network's fork schedule and genesis.
 * Plain data; mainnet and the spec's minimal preset are defined here, others are passed in.
 */
import { BeaconError } from './errors.js';

export interface BeaconPreset {
  readonly name: string;
  readonly SYNC_COMMITTEE_SIZE: number;
  readonly SLOTS_PER_EPOCH: number;
  readonly EPOCHS_PER_SYNC_COMMITTEE_PERIOD: number;
}

export const MAINNET_PRESET: BeaconPreset = Object.freeze({
  name: 'mainnet',
  SYNC_COMMITTEE_SIZE: 512,
  SLOTS_PER_EPOCH: 32,
  EPOCHS_PER_SYNC_COMMITTEE_PERIOD: 256,
});

export const MINIMAL_PRESET: BeaconPreset = Object.freeze({
  name: 'minimal',
  SYNC_COMMITTEE_SIZE: 32,
  SLOTS_PER_EPOCH: 8,
  EPOCHS_PER_SYNC_COMMITTEE_PERIOD: 8,
});

/** Forks in activation order; the light-client containers change at capella, deneb and electra. */
export const FORK_ORDER = ['phase0', 'altair', 'bellatrix', 'capella', 'deneb', 'electra', 'fulu'] as const;
export type ForkName = (typeof FORK_ORDER)[number];

export interface BeaconFork {
  readonly name: ForkName;
  /** The 4-byte fork version of the signing domain. */
  readonly version: Uint8Array;
  readonly epoch: bigint;
}

export interface BeaconConfig {
  readonly preset: BeaconPreset;
  readonly genesisValidatorsRoot: Uint8Array;
  /** Scheduled forks, ascending by epoch; an unscheduled fork is left out. */
  readonly forks: readonly BeaconFork[];
  /** Unix seconds of slot 0, for the wall-clock slot. */
  readonly genesisTime?: number;
  readonly secondsPerSlot?: number;
  /** How far back beacon nodes keep blocks, and so light-client data: a checkpoint older than this cannot be synced from. */
  readonly minEpochsForBlockRequests?: number;
}

/** A config with its fork list checked: known names in order, 4-byte versions, epochs not decreasing. */
export function beaconConfig(config: BeaconConfig): BeaconConfig {
  if (config.genesisValidatorsRoot.length !== 32) throw new BeaconError('BAD_ENCODING', 'genesisValidatorsRoot', 'must be 32 bytes');
  if (config.forks.length === 0) throw new BeaconError('BAD_ENCODING', 'forks', 'at least the genesis fork is needed');
  let lastOrder = -1;
  let lastEpoch = -1n;
  for (const f of config.forks) {
    const order = FORK_ORDER.indexOf(f.name);
    if (order <= lastOrder) throw new BeaconError('BAD_ENCODING', `forks.${f.name}`, 'unknown or out of order');
    if (f.version.length !== 4) throw new BeaconError('BAD_ENCODING', `forks.${f.name}.version`, 'must be 4 bytes');
    if (f.epoch < lastEpoch) throw new BeaconError('BAD_ENCODING', `forks.${f.name}.epoch`, 'before the previous fork');
    lastOrder = order;
    lastEpoch = f.epoch;
  }
  return config;
}

export const slotsPerPeriod = (preset: BeaconPreset): bigint =>
  BigInt(preset.SLOTS_PER_EPOCH) * BigInt(preset.EPOCHS_PER_SYNC_COMMITTEE_PERIOD);

export const epochAtSlot = (config: BeaconConfig, slot: bigint): bigint => slot / BigInt(config.preset.SLOTS_PER_EPOCH);

export const periodAtSlot = (config: BeaconConfig, slot: bigint): bigint => slot / slotsPerPeriod(config.preset);

/** The fork in force at `epoch` (the spec's compute_fork_version, with its name). */
export function forkAtEpoch(config: BeaconConfig, epoch: bigint): BeaconFork {
  let at = config.forks[0] as BeaconFork;
  for (const f of config.forks) if (f.epoch <= epoch) at = f;
  return at;
}

export const forkAtSlot = (config: BeaconConfig, slot: bigint): BeaconFork => forkAtEpoch(config, epochAtSlot(config, slot));

/** Whether fork `a` is `b` or later. */
export const forkAtLeast = (a: ForkName, b: ForkName): boolean => FORK_ORDER.indexOf(a) >= FORK_ORDER.indexOf(b);

const v = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

/** Ethereum mainnet: fork schedule of its published config, genesis of its beacon chain. */
export const MAINNET_BEACON_CONFIG: BeaconConfig = Object.freeze<BeaconConfig>({
  preset: MAINNET_PRESET,
  genesisValidatorsRoot: v('4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95'),
  genesisTime: 1606824023,
  secondsPerSlot: 12,
  minEpochsForBlockRequests: 33024,
  forks: [
    { name: 'phase0', version: v('00000000'), epoch: 0n },
    { name: 'altair', version: v('01000000'), epoch: 74240n },
    { name: 'bellatrix', version: v('02000000'), epoch: 144896n },
    { name: 'capella', version: v('03000000'), epoch: 194048n },
    { name: 'deneb', version: v('04000000'), epoch: 269568n },
    { name: 'electra', version: v('05000000'), epoch: 364032n },
    { name: 'fulu', version: v('06000000'), epoch: 411392n },
  ],
});

/*
 * The public testnets, from their published configs (eth-clients/{sepolia,holesky,hoodi}
 * metadata/config.yaml, as Lodestar and Lighthouse carry them): genesis time = MIN_GENESIS_TIME +
 * GENESIS_DELAY; genesis validators roots as go-ethereum's beacon light client and Helios list them.
 */
const testnet = (genesisValidatorsRoot: string, genesisTime: number, versions: readonly string[], epochs: readonly bigint[]): BeaconConfig =>
  Object.freeze<BeaconConfig>({
    preset: MAINNET_PRESET,
    genesisValidatorsRoot: v(genesisValidatorsRoot),
    genesisTime,
    secondsPerSlot: 12,
    minEpochsForBlockRequests: 33024,
    forks: FORK_ORDER.map((name, i) => ({ name, version: v(versions[i] as string), epoch: epochs[i] as bigint })),
  });

export const SEPOLIA_BEACON_CONFIG: BeaconConfig = testnet(
  'd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078',
  1655733600,
  ['90000069', '90000070', '90000071', '90000072', '90000073', '90000074', '90000075'],
  [0n, 50n, 100n, 56832n, 132608n, 222464n, 272640n],
);

export const HOLESKY_BEACON_CONFIG: BeaconConfig = testnet(
  '9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1',
  1695902400,
  ['01017000', '02017000', '03017000', '04017000', '05017000', '06017000', '07017000'],
  [0n, 0n, 0n, 256n, 29696n, 115968n, 165120n],
);

export const HOODI_BEACON_CONFIG: BeaconConfig = testnet(
  '212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f',
  1742213400,
  ['10000910', '20000910', '30000910', '40000910', '50000910', '60000910', '70000910'],
  [0n, 0n, 0n, 0n, 0n, 2048n, 50688n],
);

/** The built-in beacon chain configs, by execution network name. */
export const BEACON_CONFIGS: Readonly<Record<string, BeaconConfig>> = Object.freeze({
  mainnet: MAINNET_BEACON_CONFIG,
  sepolia: SEPOLIA_BEACON_CONFIG,
  holesky: HOLESKY_BEACON_CONFIG,
  hoodi: HOODI_BEACON_CONFIG,
});
