/**
 * Runs one call on @ethereumjs/evm over verified state, as a transaction would run at the end of
 * the block (the block's state, the block's environment): fee and balance checks, gas bought,
 * warm addresses, EVM.runCall, refunds and the calldata floor.
 *
 * State comes in rounds. Round 1, before any run: the sender's account, the target's account and
 * the target's code (early, beside the proof). Each run records what it reached and did not have
 * (block-state.ts); if anything, all of it is fetched in one round and the call runs again. A run
 * that missed anything is never answered.
 */
import type { EVMInterface } from '@ethereumjs/evm';
import { type HardforkActivation, hardforkAt } from '../../config/network.js';
import type { Account } from '../../verify/state.js';
import type { HeaderChainView, VerifiedHeader } from '../contracts.js';
import { type BlockStateCache, Misses } from './block-state.js';
import type { AccessListEntry, BlockOverrides, CallArgs } from './call-params.js';
import { type CallEnv, callEnv, chainBlockchain } from './env.js';
import { CallFailedError, EvmError } from './errors.js';
import { type Common10, type EthJs10, ethjs, makeCommon, toAddress } from './ethjs.js';
import { type FetchStats, type StateFetcher } from './fetch.js';
import { ExecutionGuard } from './guard.js';
import { kzgEvmOptions } from './kzg.js';
import { BaseState, CallStateManager, type MissMode, type StateOverrides } from './state-manager.js';
import { floorDataGas, gasUsedAfterRefund, intrinsicGas, pricing, warmSet } from './tx-rules.js';

/**
 * Most access-list slots fetched before the first run: the list is the caller's and may name keys
 * the call never reads (gas bounds it only loosely); the rest come when a run reaches them.
 */
const MAX_PREFETCH_SLOTS = 256;

export interface ExecutorConfig {
  chain: HeaderChainView;
  chainId: bigint;
  /** The network's EVM rules where `hardforks` says nothing (NetworkConfig.hardfork), e.g. 'prague'. */
  hardfork: string;
  /** The network's rules by block (NetworkConfig.hardforks): each call runs under those of its block. */
  hardforks?: readonly HardforkActivation[];
  fetcher: StateFetcher;
  blocks: BlockStateCache;
  /** 'continue' (default): a run goes on past missing state to collect every key it reaches. */
  missMode?: MissMode;
  /** Most rounds of state fetching for one call (default 32). */
  maxStateRounds?: number;
  /**
   * Most gas of any call, given or not (default 50,000,000, geth's RPCGasCap; 0 = none). A call
   * that asks for more runs with the cap, silently, as geth does.
   */
  gasCap?: bigint;
}

export interface RunInput {
  args: CallArgs;
  header: VerifiedHeader;
  overrides?: StateOverrides;
  blockOverrides?: BlockOverrides;
  /** Replaces args.gas (estimateGas tries). */
  gasLimit?: bigint;
  /** Replaces args.accessList (createAccessList rounds). */
  accessList?: AccessListEntry[];
  /** Called with the EVM before the run (tracers); returns a function called after it. */
  trace?: (evm: EVMInterface) => void;
  /** The request's time limit and abort signal (default: none, but runs still yield to the event loop). */
  guard?: ExecutionGuard;
}

export interface RunResult {
  /** No exceptional halt. */
  success: boolean;
  reverted: boolean;
  /** The EVM's error for a failed, non-reverted run (geth's words). */
  error?: string;
  returnValue: Uint8Array;
  /** After refunds and the EIP-7623 floor (what a receipt says). */
  gasUsed: bigint;
  /** Before refunds. */
  gasSpent: bigint;
  refund: bigint;
  gasLimit: bigint;
  intrinsic: bigint;
}

/** ethereumjs' EVMError words → go-ethereum's (what users and tools match on). */
const GETH_WORDS: Readonly<Record<string, string>> = {
  'out of gas': 'out of gas',
  'code store out of gas': 'contract creation code storage out of gas',
  'code size to deposit exceeds maximum code size': 'max code size exceeded',
  'stack underflow': 'stack underflow',
  'stack overflow': 'stack limit reached 1024',
  'invalid JUMP': 'invalid jump destination',
  'invalid opcode': 'invalid opcode',
  'static state change': 'write protection',
  'create collision': 'contract address collision',
  'insufficient balance': 'insufficient balance for transfer',
  'invalid bytecode deployed': 'invalid code: must not begin with 0xef',
  'initcode exceeds max initcode size': 'max initcode size exceeded',
  'kzg proof invalid': 'error verifying kzg proof',
  'kzg inputs invalid': 'error verifying kzg proof',
  'kzg commitment does not match versioned hash': 'mismatched versioned hash',
};

const ZERO_ADDRESS = new Uint8Array(20);

export class CallExecutor {
  private readonly config: ExecutorConfig;
  /** One Common per fork a call has run under (a network has a few dozen at most). */
  private readonly commons = new Map<string, Common10>();
  private m: EthJs10 | undefined;

  constructor(config: ExecutorConfig) {
    this.config = config;
  }

  /** The fork live at a block (by its number and timestamp, or the overridden ones): geth picks its rules the same way. */
  hardforkOf(header: VerifiedHeader, o: BlockOverrides = {}): string {
    return hardforkAt(this.config, o.number ?? header.header.number, o.time ?? header.header.timestamp);
  }

  /**
   * The fork rules of a block, or without one the network's newest (loads the 10.x modules on
   * first use).
   */
  async rules(header?: VerifiedHeader, o: BlockOverrides = {}): Promise<{ m: EthJs10; common: Common10; hardfork: string }> {
    this.m ??= await ethjs();
    const hardfork = header === undefined ? this.config.hardfork : this.hardforkOf(header, o);
    let common = this.commons.get(hardfork);
    if (common === undefined) {
      common = makeCommon(this.m, this.config.chainId, hardfork);
      this.commons.set(hardfork, common);
    }
    return { m: this.m, common, hardfork };
  }

  /** The most gas a call may have (geth's RPCGasCap; 0 = no cap). */
  get gasCap(): bigint {
    return this.config.gasCap ?? 50_000_000n;
  }

  /** `gas`, at most the cap. */
  capGas(gas: bigint): bigint {
    const cap = this.gasCap;
    return cap > 0n && gas > cap ? cap : gas;
  }

  /** What a call with no gas given may use: the block gas limit, at most the cap. */
  defaultGas(header: VerifiedHeader, o: BlockOverrides = {}): bigint {
    return this.capGas(o.gasLimit ?? header.header.gasLimit);
  }

  /**
   * The first round: the sender's account, the target's account and code, and what the access
   * list names (accounts, their code, up to MAX_PREFETCH_SLOTS slots), those not fetched yet. A
   * call that lists what it touches is answered after one round trip instead of one per level of
   * the code's reads (code first, then the slots it computes).
   */
  private firstMisses(input: RunInput): Misses {
    const misses = new Misses();
    const base = new BaseState(this.config.blocks.of(input.header), input.overrides ?? new Map(), misses, 'continue');
    base.account(input.args.from ?? ZERO_ADDRESS);
    if (input.args.to !== undefined) base.code(input.args.to);
    let slots = 0;
    for (const { address, storageKeys } of input.accessList ?? input.args.accessList ?? []) {
      base.code(address);
      for (const key of storageKeys) if (slots++ < MAX_PREFETCH_SLOTS) base.storage(address, key);
    }
    return misses;
  }

  /** An account (after overrides; null = absent), fetched with the rest of the first round. */
  async accountOf(input: RunInput, address: Uint8Array, stats: FetchStats): Promise<Account | null> {
    const block = this.config.blocks.of(input.header);
    const misses = this.firstMisses(input);
    const base = new BaseState(block, input.overrides ?? new Map(), misses, 'continue');
    base.account(address);
    await (input.guard ?? new ExecutionGuard({ timeoutMs: 0 })).race(this.config.fetcher.fill(input.header, block, misses, stats));
    return new BaseState(block, input.overrides ?? new Map(), new Misses(), 'continue').account(address);
  }

  /** The precompiles of the fork rules at a block (address hex, no 0x). */
  async precompiles(header?: VerifiedHeader, o: BlockOverrides = {}): Promise<string[]> {
    const { m, common } = await this.rules(header, o);
    return [...m.evm.getActivePrecompiles(common).keys()].map((a) => a.replace(/^0x/, '').toLowerCase());
  }

  async run(input: RunInput, stats: FetchStats): Promise<RunResult> {
    const { header } = input;
    const { m, common, hardfork } = await this.rules(header, input.blockOverrides);
    const block = this.config.blocks.of(header);
    const misses = this.firstMisses(input);
    const maxRounds = this.config.maxStateRounds ?? 32;
    const guard = input.guard ?? new ExecutionGuard({ timeoutMs: 0 });
    for (let round = 0; ; round++) {
      if (misses.size > 0) {
        if (round >= maxRounds) throw new EvmError('STATE_ROUNDS_EXCEEDED', 'state', `the call still missed state after ${maxRounds} rounds of fetching`);
        await guard.race(this.config.fetcher.fill(header, block, misses, stats));
      }
      const base = new BaseState(block, input.overrides ?? new Map(), misses, this.config.missMode ?? 'continue');
      let result: RunResult | undefined;
      guard.startRun();
      try {
        result = await this.once(m, common, hardfork, input, base, guard);
      } catch (e) {
        // Whatever failed while state was missing (MissingState itself, a balance check) is not an
        // answer: fetch and run again.
        if (misses.size > 0 && !guard.ended) continue;
        throw e;
      } finally {
        guard.endRun();
      }
      if (misses.size === 0) return result;
    }
  }

  private async once(m: EthJs10, common: Common10, hardfork: string, input: RunInput, base: BaseState, guard: ExecutionGuard): Promise<RunResult> {
    const { args, header } = input;
    const accessList = input.accessList ?? args.accessList;
    const price = pricing(args, header.header.baseFeePerGas);
    const env: CallEnv = callEnv(m, header, hardfork, input.blockOverrides ?? {}, price.gasPrice === 0n);
    const gasLimit = input.gasLimit ?? (args.gas === undefined ? this.defaultGas(header, input.blockOverrides) : this.capGas(args.gas));
    const intrinsic = intrinsicGas(common, { to: args.to, data: args.data, accessList });
    const floor = floorDataGas(common, args.data);
    if (gasLimit < intrinsic) throw new CallFailedError(`intrinsic gas too low: gas ${gasLimit}, minimum needed ${intrinsic}`, 'gas');
    if (gasLimit < floor) throw new CallFailedError(`insufficient gas for floor data gas cost: gas ${gasLimit}, minimum needed ${floor}`, 'gas');
    if (!price.priceless && env.baseFee !== undefined && price.feeCap < env.baseFee) {
      throw new CallFailedError(`max fee per gas less than block base fee: maxFeePerGas: ${price.feeCap}, baseFee: ${env.baseFee}`, 'maxFeePerGas');
    }

    const sm = new CallStateManager(m, base);
    // createEVM subscribes the new EVM to the shared Common's hardforkChanged. We never change the
    // Common's hardfork, and left subscribed, every call's EVM (and the state it holds) would stay
    // reachable from the Common for good: drop the listeners this EVM added.
    const before = new Set(common.events.listeners('hardforkChanged'));
    const evm = await m.evm.createEVM({
      common,
      stateManager: sm as never,
      blockchain: chainBlockchain(this.config.chain),
      ...guard.evmOptions(),
      ...kzgEvmOptions(m, common),
    });
    for (const l of common.events.listeners('hardforkChanged')) if (!before.has(l)) common.events.off('hardforkChanged', l);
    guard.attach(evm);
    const from = toAddress(m, args.from ?? ZERO_ADDRESS);
    const sender = (await sm.getAccount(from)) ?? new m.util.Account();
    const want = gasLimit * price.feeCap + args.value;
    if (sender.balance < want) {
      throw new CallFailedError(`insufficient funds for gas * price + value: address ${from.toString()} have ${sender.balance} want ${want}`, 'value');
    }
    if (price.gasPrice > 0n) {
      sender.balance -= gasLimit * price.gasPrice;
      await sm.putAccount(from, sender);
    }
    const warm = warmSet(common, { from: from.bytes, to: args.to, coinbase: env.coinbase, precompiles: evm.precompiles.keys(), accessList });
    for (const a of warm.addresses) evm.journal.addAlwaysWarmAddress(a);
    for (const [a, s] of warm.slots) evm.journal.addAlwaysWarmSlot(a, s);
    input.trace?.(evm);

    const res = await evm.runCall({
      block: env.block,
      gasPrice: price.gasPrice,
      origin: from,
      caller: from,
      gasLimit: gasLimit - intrinsic,
      to: args.to === undefined ? undefined : toAddress(m, args.to),
      value: args.value,
      data: args.data,
      blobVersionedHashes: args.blobVersionedHashes?.map((h) => `0x${Buffer.from(h).toString('hex')}` as const),
    });
    const exec = res.execResult;
    const err = exec.exceptionError?.error;
    const gasSpent = intrinsic + exec.executionGasUsed;
    const refund = err === undefined ? (exec.gasRefund ?? 0n) : 0n;
    const out: RunResult = {
      success: err === undefined,
      reverted: err === 'revert',
      returnValue: exec.returnValue,
      gasUsed: gasUsedAfterRefund(common, gasSpent, refund, floor),
      gasSpent,
      refund,
      gasLimit,
      intrinsic,
    };
    if (err !== undefined && err !== 'revert') out.error = GETH_WORDS[err] ?? err;
    return out;
  }
}
