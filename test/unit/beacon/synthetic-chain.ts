// The synthetic beacon chain is a product module now (the devnet's beacon chain is built on it).
export { SyntheticBeaconChain } from '../../../src/devnet/beacon/chain.js';
