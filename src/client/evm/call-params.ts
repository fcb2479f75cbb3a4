/**
 * The params of eth_call / eth_estimateGas / eth_createAccessList as go-ethereum reads them: the
 * transaction object (`TransactionArgs`), the state overrides and the block overrides. Hostile
 * input: every field is checked and a bad one is -32602 naming it; unknown keys are ignored, as
 * geth does. `nonce`, `type` and `chainId` do not change a call, but junk in them is refused rather
 * than ignored: a caller who sends them means something, and a chainId of another network means the
 * caller is talking to the wrong node.
 */
import { InvalidParamsError } from '../methods/errors.js';
import { parseArray, parseData, parseObject, parseQuantity, parseSlot } from '../methods/params.js';
import { hexOf } from './block-state.js';
import type { AccountOverride, StateOverrides } from './state-manager.js';

export interface AccessListEntry {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

export interface CallArgs {
  from?: Uint8Array;
  /** Absent: contract creation. */
  to?: Uint8Array;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  value: bigint;
  data: Uint8Array;
  accessList?: AccessListEntry[];
  blobVersionedHashes?: Uint8Array[];
  maxFeePerBlobGas?: bigint;
}

export interface BlockOverrides {
  number?: bigint;
  time?: bigint;
  gasLimit?: bigint;
  coinbase?: Uint8Array;
  prevRandao?: Uint8Array;
  baseFeePerGas?: bigint;
  blobBaseFee?: bigint;
}

const MAX_ACCESS_LIST = 10_000;
/** Transaction types a call object may name: legacy, EIP-2930, EIP-1559, EIP-4844, EIP-7702. */
const MAX_TX_TYPE = 4n;
const MAX_OVERRIDES = 1_000;

const opt = <T>(v: unknown, parse: (v: unknown) => T): T | undefined => (v === undefined || v === null ? undefined : parse(v));

export function parseAccessList(v: unknown, field: string): AccessListEntry[] {
  return parseArray(v, field, MAX_ACCESS_LIST).map((e, i) => {
    const f = `${field}[${i}]`;
    const o = parseObject(e, f);
    return {
      address: parseData(o.address, `${f}.address`, 20),
      storageKeys: parseArray(o.storageKeys ?? [], `${f}.storageKeys`, MAX_ACCESS_LIST).map((k, j) => parseData(k, `${f}.storageKeys[${j}]`, 32)),
    };
  });
}

/** `chainId`: the network's; a call object naming another is refused. */
export function parseCallArgs(v: unknown, field = 'transaction', chainId?: bigint): CallArgs {
  const o = parseObject(v, field);
  opt(o.nonce, (x) => parseQuantity(x, `${field}.nonce`, 64));
  const type = opt(o.type, (x) => parseQuantity(x, `${field}.type`, 8));
  if (type !== undefined && type > MAX_TX_TYPE) throw new InvalidParamsError(`${field}.type`, `unknown transaction type 0x${type.toString(16)}`);
  const callChainId = opt(o.chainId, (x) => parseQuantity(x, `${field}.chainId`));
  if (callChainId !== undefined && chainId !== undefined && callChainId !== chainId) {
    throw new InvalidParamsError(`${field}.chainId`, `chainId does not match the network's (have ${callChainId}, want ${chainId})`);
  }
  const data = opt(o.data, (x) => parseData(x, `${field}.data`));
  const input = opt(o.input, (x) => parseData(x, `${field}.input`));
  if (data !== undefined && input !== undefined && Buffer.compare(data, input) !== 0) {
    throw new InvalidParamsError(`${field}.input`, 'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data');
  }
  const args: CallArgs = {
    from: opt(o.from, (x) => parseData(x, `${field}.from`, 20)),
    to: opt(o.to, (x) => parseData(x, `${field}.to`, 20)),
    gas: opt(o.gas, (x) => parseQuantity(x, `${field}.gas`, 64)),
    gasPrice: opt(o.gasPrice, (x) => parseQuantity(x, `${field}.gasPrice`)),
    maxFeePerGas: opt(o.maxFeePerGas, (x) => parseQuantity(x, `${field}.maxFeePerGas`)),
    maxPriorityFeePerGas: opt(o.maxPriorityFeePerGas, (x) => parseQuantity(x, `${field}.maxPriorityFeePerGas`)),
    value: opt(o.value, (x) => parseQuantity(x, `${field}.value`)) ?? 0n,
    data: input ?? data ?? new Uint8Array(0),
    accessList: opt(o.accessList, (x) => parseAccessList(x, `${field}.accessList`)),
    blobVersionedHashes: opt(o.blobVersionedHashes, (x) => parseArray(x, `${field}.blobVersionedHashes`, 64).map((h, i) => parseData(h, `${field}.blobVersionedHashes[${i}]`, 32))),
    maxFeePerBlobGas: opt(o.maxFeePerBlobGas, (x) => parseQuantity(x, `${field}.maxFeePerBlobGas`)),
  };
  if (args.gasPrice !== undefined && (args.maxFeePerGas !== undefined || args.maxPriorityFeePerGas !== undefined)) {
    throw new InvalidParamsError(`${field}.gasPrice`, 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified');
  }
  if (args.maxFeePerGas !== undefined && args.maxPriorityFeePerGas !== undefined && args.maxPriorityFeePerGas > args.maxFeePerGas) {
    throw new InvalidParamsError(`${field}.maxPriorityFeePerGas`, `maxFeePerGas (${args.maxFeePerGas}) < maxPriorityFeePerGas (${args.maxPriorityFeePerGas})`);
  }
  if (o.authorizationList !== undefined && o.authorizationList !== null && !(Array.isArray(o.authorizationList) && o.authorizationList.length === 0)) {
    throw new InvalidParamsError(`${field}.authorizationList`, 'authorization lists (EIP-7702) are not supported by the local EVM yet');
  }
  return args;
}

function slotMap(v: unknown, field: string): Map<string, bigint> {
  const o = parseObject(v, field);
  const out = new Map<string, bigint>();
  for (const [k, val] of Object.entries(o)) {
    const slot = parseSlot(k, `${field}.${k}`);
    const word = parseData(val, `${field}.${k}`, 32);
    out.set(hexOf(slot), BigInt(`0x${hexOf(word) || '0'}`));
  }
  return out;
}

export function parseStateOverrides(v: unknown, field = 'stateOverrides'): StateOverrides {
  const out: StateOverrides = new Map();
  if (v === undefined || v === null) return out;
  const entries = Object.entries(parseObject(v, field));
  if (entries.length > MAX_OVERRIDES) throw new InvalidParamsError(field, `more than ${MAX_OVERRIDES} accounts`);
  for (const [addr, value] of entries) {
    const f = `${field}.${addr}`;
    const address = parseData(addr, f, 20);
    const o = parseObject(value, f);
    for (const k of Object.keys(o)) {
      if (!['balance', 'nonce', 'code', 'state', 'stateDiff'].includes(k)) throw new InvalidParamsError(`${f}.${k}`, 'unsupported override');
    }
    const ov: AccountOverride = {
      balance: opt(o.balance, (x) => parseQuantity(x, `${f}.balance`)),
      nonce: opt(o.nonce, (x) => parseQuantity(x, `${f}.nonce`, 64)),
      code: opt(o.code, (x) => parseData(x, `${f}.code`)),
      state: opt(o.state, (x) => slotMap(x, `${f}.state`)),
      stateDiff: opt(o.stateDiff, (x) => slotMap(x, `${f}.stateDiff`)),
    };
    if (ov.state !== undefined && ov.stateDiff !== undefined) throw new InvalidParamsError(f, 'has both "state" and "stateDiff"');
    out.set(hexOf(address), ov);
  }
  return out;
}

export function parseBlockOverrides(v: unknown, field = 'blockOverrides'): BlockOverrides {
  if (v === undefined || v === null) return {};
  const o = parseObject(v, field);
  for (const k of Object.keys(o)) {
    if (!['number', 'time', 'gasLimit', 'feeRecipient', 'prevRandao', 'baseFeePerGas', 'blobBaseFee'].includes(k)) {
      throw new InvalidParamsError(`${field}.${k}`, 'unsupported block override');
    }
  }
  return {
    number: opt(o.number, (x) => parseQuantity(x, `${field}.number`, 64)),
    time: opt(o.time, (x) => parseQuantity(x, `${field}.time`, 64)),
    gasLimit: opt(o.gasLimit, (x) => parseQuantity(x, `${field}.gasLimit`, 64)),
    coinbase: opt(o.feeRecipient, (x) => parseData(x, `${field}.feeRecipient`, 20)),
    prevRandao: opt(o.prevRandao, (x) => parseData(x, `${field}.prevRandao`, 32)),
    baseFeePerGas: opt(o.baseFeePerGas, (x) => parseQuantity(x, `${field}.baseFeePerGas`)),
    blobBaseFee: opt(o.blobBaseFee, (x) => parseQuantity(x, `${field}.blobBaseFee`)),
  };
}
