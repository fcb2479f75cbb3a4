/**
 * The same ethers app through the proxy: a plain `JsonRpcProvider` pointed at `lesp proxy` (or
 * `lesp devnet`, which runs one on 127.0.0.1:8545). The proxy verifies every answer; the app is
 * unchanged.
 *
 *   npm start                                # terminal 1: the devnet
 *   npx tsx examples/ethers-proxy.ts         # terminal 2 (PROXY_URL=... for another proxy)
 */
import { JsonRpcProvider } from 'ethers';
import { PRIVATE_KEY, PROXY_URL } from './env.js';
import { runApp } from './ethers-app.js';

// staticNetwork: the chain cannot change under a proxy; saves an eth_chainId per call.
// cacheTimeout -1: ethers otherwise reuses an identical answer for 250 ms — on a devnet that mines
// at once, the nonce read before a deployment would be reused for the next transaction.
const provider = new JsonRpcProvider(PROXY_URL, undefined, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
try {
  await runApp(provider, PRIVATE_KEY);
} finally {
  provider.destroy();
}
