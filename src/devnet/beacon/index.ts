// The devnet's beacon chain: a synthetic chain over anvil's blocks, its beacon API, its negative cases.
export { type SignOptions, SyntheticBeaconChain } from './chain.js';
export { DevnetBeacon, type DevnetBeaconHeads, type DevnetBeaconOptions, type DevnetBeaconPreset, type ExecutionNode, devnetBeaconConfig } from './devnet-beacon.js';
export { NEGATIVE_CASES, NEGATIVE_CASE_CODE, type NegativeCase, type NegativeUpdates, negativeUpdates } from './negative.js';
export { type BeaconRestOptions, type BeaconRestServer, MAX_REQUEST_LIGHT_CLIENT_UPDATES, beaconApiHandler, startBeaconRest } from './rest.js';
