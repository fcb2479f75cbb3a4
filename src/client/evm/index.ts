/** The local EVM: eth_call, eth_estimateGas, eth_createAccessList over verified ODR state. */
export { AccessListTracer, createAccessList } from './access-list.js';
export { type AccessListEntry, type BlockOverrides, type CallArgs, parseBlockOverrides, parseCallArgs, parseStateOverrides } from './call-params.js';
export { type EarlyCode, earlyCodeFrom, earlyCodeKind } from './early-code.js';
export { CallAbortedError, CallFailedError, CallTimeoutError, EvmError, type EvmErrorCode } from './errors.js';
export { estimateGas } from './estimate.js';
export { CallExecutor, type RunInput, type RunResult } from './executor.js';
export { ExecutionGuard, type GuardOptions } from './guard.js';
export { loadKzg } from './kzg.js';
export { type FetchStats, type StateOdr, StateFetcher, newFetchStats } from './fetch.js';
export { type CallMethod, EvmCall, type EvmCallOptions, createCallHandler } from './handler.js';
export { revertReason } from './revert.js';
export type { AccountOverride, MissMode, StateOverrides } from './state-manager.js';
