/**
 * The CallHandler the method table takes: eth_call, eth_estimateGas and eth_createAccessList on
 * the local EVM, over state the Odr verified against the resolved block's stateRoot.
 */
import type { EVMInterface } from '@ethereumjs/evm';
import type { HardforkActivation } from '../../config/network.js';
import type { HeaderChainView, Retriever, VerifiedHeader } from '../contracts.js';
import type { CallHandler } from '../methods/context.js';
import { createAccessList } from './access-list.js';
import { BlockStateCache } from './block-state.js';
import { parseBlockOverrides, parseCallArgs, parseStateOverrides } from './call-params.js';
import { type EarlyCode, earlyCodeFrom } from './early-code.js';
import { CallFailedError } from './errors.js';
import { estimateGas } from './estimate.js';
import { CallExecutor, type RunInput } from './executor.js';
import { type FetchStats, type StateOdr, StateFetcher, newFetchStats } from './fetch.js';
import { ExecutionGuard } from './guard.js';
import { revertError } from './revert.js';
import type { MissMode } from './state-manager.js';

export type CallMethod = 'eth_call' | 'eth_estimateGas' | 'eth_createAccessList';

export interface EvmCallOptions {
  /** Verified state (the Odr facade). */
  odr: StateOdr;
  /** Verified headers (BLOCKHASH). */
  chain: HeaderChainView;
  chainId: bigint;
  /** The EVM rules of the network where `hardforks` says nothing, e.g. 'prague' (NetworkConfig.hardfork). */
  hardfork: string;
  /** The network's rules by block (NetworkConfig.hardforks): each call runs under those live at its block. */
  hardforks?: readonly HardforkActivation[];
  /** When given, code is asked beside its account's proof (one round trip less; see early-code.ts). */
  retriever?: Retriever;
  /** Or the early-code source itself (tests). */
  earlyCode?: EarlyCode;
  /** 'continue' (default) collects every missing key of a run; 'abort' stops at the first. */
  missMode?: MissMode;
  /** Most rounds of state fetching for one call (default 32). */
  maxStateRounds?: number;
  /** Most gas of one call, given or not: more is capped silently, as geth does (default 50,000,000; 0 = none). */
  gasCap?: bigint;
  /**
   * EVM time limit of one request, ms, summed over every run of it (all of an estimateGas search);
   * waiting for state does not count (default 5,000, geth's --rpc.evmtimeout; 0 = none).
   */
  evmTimeoutMs?: number;
  /** Blocks whose fetched state is kept (default 16). */
  blockStates?: number;
  /** eth_estimateGas precision, as geth's (default 0: the exact least gas). */
  estimateErrorRatio?: number;
  /** Told after each call how much state it fetched and in how many rounds. */
  onStats?: (method: CallMethod, stats: FetchStats) => void;
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const qty = (n: bigint): string => `0x${n.toString(16)}`;

export class EvmCall {
  readonly executor: CallExecutor;
  private readonly options: EvmCallOptions;

  constructor(options: EvmCallOptions) {
    this.options = options;
    const fetcher = new StateFetcher(options.odr, options.earlyCode ?? (options.retriever === undefined ? undefined : earlyCodeFrom(options.retriever)));
    this.executor = new CallExecutor({
      chain: options.chain,
      chainId: options.chainId,
      hardfork: options.hardfork,
      hardforks: options.hardforks,
      fetcher,
      blocks: new BlockStateCache(options.blockStates),
      missMode: options.missMode,
      maxStateRounds: options.maxStateRounds,
      gasCap: options.gasCap,
    });
  }

  /** Called with each run's EVM before it runs (tracers, tests). */
  tracer: ((evm: EVMInterface) => void) | undefined;

  /** The CallHandler of the method table. */
  readonly handler: CallHandler = (method, params, header, signal) => this.request(method, params, header, signal);

  /** `signal` stops the request: the EVM run in progress and the wait for state. */
  async request(method: CallMethod, params: readonly unknown[], header: VerifiedHeader, signal?: AbortSignal): Promise<unknown> {
    const input: RunInput = { args: parseCallArgs(params[0], 'transaction', this.options.chainId), header };
    input.guard = new ExecutionGuard({ timeoutMs: this.options.evmTimeoutMs ?? 5000, signal });
    if (this.tracer !== undefined) input.trace = this.tracer;
    if (method !== 'eth_createAccessList') input.overrides = parseStateOverrides(params[2]);
    if (method === 'eth_call') input.blockOverrides = parseBlockOverrides(params[3]);
    const stats = newFetchStats();
    try {
      switch (method) {
        case 'eth_call':
          return hex(await this.call(input, stats));
        case 'eth_estimateGas':
          return qty(await estimateGas(this.executor, input, stats, { errorRatio: this.options.estimateErrorRatio }));
        case 'eth_createAccessList': {
          const r = await createAccessList(this.executor, input, stats);
          return { accessList: r.accessList.map((e) => ({ address: hex(e.address), storageKeys: e.storageKeys.map(hex) })), gasUsed: qty(r.gasUsed) };
        }
      }
    } finally {
      this.options.onStats?.(method, stats);
    }
  }

  /** eth_call: the return data; a revert throws code 3 with the revert data. */
  async call(input: RunInput, stats: FetchStats = newFetchStats()): Promise<Uint8Array> {
    const res = await this.executor.run(input, stats);
    if (res.reverted) throw revertError(res.returnValue);
    if (!res.success) throw new CallFailedError(res.error ?? 'execution failed');
    return res.returnValue;
  }
}

/** The CallHandler over the given sources (see EvmCallOptions). */
export function createCallHandler(options: EvmCallOptions): CallHandler {
  return new EvmCall(options).handler;
}
