// Public entry point of the les-provider package.
export { LespError } from './errors.js';

// Surfaces: the ethers provider and the EIP-1193 object.
export { LesProvider, type LesProviderOptions, type ProviderEngine, type ProviderSurfaceOptions } from './client/provider.js';
export {
  type Eip1193Engine,
  type Eip1193Options,
  type Eip1193SubscriptionOptions,
  LesEip1193Provider,
  ProviderRpcError,
  type RequestArguments,
  createEip1193Provider,
} from './client/eip1193.js';

// The engine and its options.
export {
  ClientError,
  type ClientCacheSizes,
  type ClientErrorCode,
  type ClientLogger,
  type ClientStatus,
  type ClientTimeouts,
  LesClient,
  type LesClientEvents,
  type LesClientOptions,
  type ServerOption,
} from './client/engine/index.js';

// Configuration.
export { BUILTIN_NETWORKS, type Checkpoint, type CheckpointOracle, ConfigError, DEVNET, HOLESKY, HOODI, type HardforkActivation, MAINNET, type NetworkConfig, SEPOLIA, hardforkAt, parseNetworkConfig } from './config/network.js';

// Errors callers may branch on, and the one JSON-RPC error table.
export {
  ExecutionRevertedError,
  InvalidParamsError,
  MethodError,
  MethodNotFoundError,
  RPC_ERROR_TABLE,
  type RpcErrorObject,
  VERIFICATION_FAILED_RPC_CODE,
  toRpcError,
} from './client/methods/index.js';
export { CallAbortedError, CallFailedError, CallTimeoutError, EvmError, type EvmErrorCode } from './client/evm/index.js';
export { ChainError, type ChainErrorCode } from './client/chain/errors.js';
export { OdrError, type OdrErrorCode } from './client/odr/index.js';
export { SchedulerError, type SchedulerErrorCode, VerificationFailedError } from './client/scheduler/index.js';
export { VerificationError } from './verify/errors.js';
export { SubscriptionError, type SubscriptionErrorCode } from './client/subscriptions/index.js';
