/**
 * The node's test methods on the devnet's own URL (and its providers): anvil's `evm_*`, `anvil_*`
 * and the `hardhat_*` names anvil accepts, forwarded to the node UNVERIFIED (they are orders to the
 * node, not facts about the chain), each followed by a settle: the call returns once the light
 * client's verified head is the node's head again, so a read right after it sees what it did.
 *
 * - State setters (setBalance, setCode, setNonce, setStorageAt, …) change the node's state under
 *   its current block, whose stateRoot then no longer commits to it: no proof could show the
 *   change. The devnet mines one block after each, so the change is in a header.
 * - Rewinds (evm_revert, anvil_rollback, anvil_reorg) move the node's head back or sideways. LES
 *   servers announce only higher heads, so the engine restarts on the servers' new Status heads
 *   (engine.ts) instead of waiting for the chain to grow past the old head.
 * - anvil_reset / hardhat_reset without arguments revert to the snapshot taken when the devnet
 *   was ready (a fresh anvil would bring a new genesis block, which the light client is anchored
 *   to); with a fork to reset to they are refused.
 * - anvil_setChainId and anvil_setRpcUrl are not forwarded: the chain id is the light client's
 *   configuration, and a devnet forks nothing.
 */
import { UpstreamRpcError } from '../proxy/errors.js';
import { Upstream } from '../proxy/upstream.js';

/** Forwarded as they are; the settle follows whatever they did to the head. */
const PLAIN = [
  'evm_mine', 'evm_mine_detailed', 'anvil_mine', 'anvil_mine_detailed', 'hardhat_mine',
  'evm_increaseTime', 'anvil_increaseTime', 'evm_setNextBlockTimestamp', 'anvil_setNextBlockTimestamp', 'evm_setTime', 'anvil_setTime',
  'anvil_setBlockTimestampInterval', 'anvil_removeBlockTimestampInterval',
  'evm_snapshot', 'anvil_snapshot',
  'evm_setAutomine', 'anvil_setAutomine', 'anvil_getAutomine', 'hardhat_getAutomine',
  'evm_setIntervalMining', 'anvil_setIntervalMining', 'anvil_getIntervalMining',
  'evm_setBlockGasLimit', 'anvil_setBlockGasLimit', 'anvil_setMinGasPrice', 'hardhat_setMinGasPrice',
  'anvil_setNextBlockBaseFeePerGas', 'hardhat_setNextBlockBaseFeePerGas', 'anvil_setCoinbase', 'hardhat_setCoinbase',
  'anvil_impersonateAccount', 'hardhat_impersonateAccount', 'anvil_stopImpersonatingAccount', 'hardhat_stopImpersonatingAccount',
  'anvil_autoImpersonateAccount', 'eth_sendUnsignedTransaction',
  'anvil_dropTransaction', 'hardhat_dropTransaction', 'anvil_dropAllTransactions', 'hardhat_dropAllTransactions', 'anvil_removePoolTransactions',
  'anvil_setLoggingEnabled', 'hardhat_setLoggingEnabled', 'anvil_dumpState', 'hardhat_dumpState',
  'anvil_nodeInfo', 'anvil_metadata', 'hardhat_metadata', 'anvil_getBlobByHash', 'anvil_getBlobsByTransactionHash',
] as const;

/** Change state without a block: a block is mined after them. */
const STATE_SETTERS = [
  'anvil_setBalance', 'hardhat_setBalance', 'anvil_addBalance', 'anvil_setCode', 'hardhat_setCode',
  'anvil_setNonce', 'hardhat_setNonce', 'evm_setAccountNonce', 'anvil_setStorageAt', 'hardhat_setStorageAt',
  'anvil_dealERC20', 'anvil_setERC20Allowance', 'anvil_loadState', 'hardhat_loadState',
] as const;

/** Move the head back or sideways. */
const REWINDS = ['evm_revert', 'anvil_revert', 'anvil_rollback', 'anvil_reorg'] as const;

const RESETS = ['anvil_reset', 'hardhat_reset'] as const;

/** Every method name the devnet forwards to its node, unverified. */
export const TEST_METHODS: readonly string[] = [...PLAIN, ...STATE_SETTERS, ...REWINDS, ...RESETS];

const stateSetters = new Set<string>(STATE_SETTERS);
const resets = new Set<string>(RESETS);
const known = new Set(TEST_METHODS);

export function isTestMethod(method: string): boolean {
  return known.has(method);
}

/** What the forwarder needs of the devnet. */
export interface TestMethodHost {
  /** Brings the verified head to the node's head (restarting the engine after a rewind). */
  settle(): Promise<void>;
}

/** Runs a test method on the node, then settles; one at a time, in arrival order. */
export class TestMethodForwarder {
  readonly #node: Upstream;
  readonly #host: TestMethodHost;
  /** The snapshot of the ready devnet that a reset returns to (undefined: the node took none). */
  #base: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(nodeUrl: string, host: TestMethodHost) {
    this.#node = new Upstream(nodeUrl);
    this.#host = host;
  }

  get url(): string {
    return this.#node.url;
  }

  /** Takes the snapshot a reset returns to (when the devnet is ready). */
  async takeBase(signal: AbortSignal = new AbortController().signal): Promise<void> {
    this.#base = await this.#node.request('evm_snapshot', [], signal).then(
      (id) => (typeof id === 'string' ? id : undefined),
      () => undefined,
    );
  }

  request(method: string, params: unknown, signal: AbortSignal = new AbortController().signal): Promise<unknown> {
    const run = this.#queue.then(() => this.#run(method, params, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    if (!known.has(method)) throw new UpstreamRpcError(-32601, `the method ${method} does not exist/is not available`);
    let result: unknown;
    try {
      if (resets.has(method)) result = await this.#reset(method, params, signal);
      else {
        result = await this.#node.request(method, params, signal);
        if (stateSetters.has(method)) await this.#node.request('evm_mine', [], signal);
      }
    } finally {
      // Also after a failure: a test method may have done part of its work.
      await this.#host.settle();
    }
    return result;
  }

  async #reset(method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    const args = Array.isArray(params) ? params : [];
    const plain = args.length === 0 || (args.length === 1 && (args[0] === null || (typeof args[0] === 'object' && Object.keys(args[0] as object).length === 0)));
    if (!plain) {
      throw new UpstreamRpcError(-32602, `${method} with a fork to reset to is not available on the devnet: its light client is anchored to this chain's genesis block; start another devnet instead`);
    }
    if (this.#base === undefined) throw new UpstreamRpcError(-32000, `${method} is not available: the node took no snapshot of the ready devnet`);
    const reverted = await this.#node.request('evm_revert', [this.#base], signal);
    if (reverted !== true) throw new UpstreamRpcError(-32000, `${method}: the node did not revert to the ready devnet's snapshot ${this.#base}`);
    await this.takeBase(signal);
    return null;
  }
}
