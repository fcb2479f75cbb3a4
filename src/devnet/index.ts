// The devnet entry point (`les-provider/devnet`): anvil, LES servers and the verifying proxy in one
// call, for an app's own tests. anvil comes from the optional peer dependency @foundry-rs/anvil.
// With `beacon`, a beacon chain over the node; its parts (and its negative cases) are exported too.
export { type Devnet, type DevnetNode, type DevnetOptions, DEVNET_DEFAULTS, startDevnet } from './start.js';
export { DevnetEngine } from './engine.js';
export { DevnetError, type DevnetErrorCode } from './errors.js';
export { type DevAccount, devnetNodeKey, wellKnownKeys } from './accounts.js';
export { DEV_MNEMONIC, DEVNET_HARDFORK, anvilBinary } from './anvil.js';
export { TEST_METHODS, isTestMethod } from './test-methods.js';
export {
  type BeaconRestServer,
  DevnetBeacon,
  type DevnetBeaconOptions,
  NEGATIVE_CASES,
  NEGATIVE_CASE_CODE,
  type NegativeCase,
  SyntheticBeaconChain,
  devnetBeaconConfig,
  negativeUpdates,
  startBeaconRest,
} from './beacon/index.js';
