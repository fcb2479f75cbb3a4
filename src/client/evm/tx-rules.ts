/**
 * The transaction-level rules the EVM leaves to its caller (what a VM's runTx does around
 * EVM.runCall): intrinsic gas, the EIP-7623 calldata floor, the gas price a call pays, the
 * refund cap, and the addresses warm from the start (EIP-2929, EIP-3651, EIP-2930 lists).
 */
import type { AccessListEntry, CallArgs } from './call-params.js';
import type { Common10 } from './ethjs.js';

const TX_GAS = 21000n;
const TX_CREATE_GAS = 53000n;
const ACCESS_LIST_ADDRESS_GAS = 2400n;
const ACCESS_LIST_SLOT_GAS = 1900n;
const INITCODE_WORD_GAS = 2n;
const FLOOR_PER_TOKEN = 10n;

function tokens(data: Uint8Array): { zero: bigint; nonZero: bigint } {
  let zero = 0n;
  for (const b of data) if (b === 0) zero++;
  return { zero, nonZero: BigInt(data.length) - zero };
}

/** Gas charged before execution: base, calldata, creation and initcode words, access list. */
export function intrinsicGas(common: Common10, args: Pick<CallArgs, 'to' | 'data' | 'accessList'>): bigint {
  const create = args.to === undefined;
  let gas = create && common.gteHardfork('homestead') ? TX_CREATE_GAS : TX_GAS;
  const { zero, nonZero } = tokens(args.data);
  gas += zero * 4n + nonZero * (common.gteHardfork('istanbul') ? 16n : 68n);
  if (create && common.isActivatedEIP(3860)) gas += ((BigInt(args.data.length) + 31n) / 32n) * INITCODE_WORD_GAS;
  for (const e of args.accessList ?? []) gas += ACCESS_LIST_ADDRESS_GAS + BigInt(e.storageKeys.length) * ACCESS_LIST_SLOT_GAS;
  return gas;
}

/** EIP-7623: the least gas a transaction uses, by its calldata tokens (0 before prague). */
export function floorDataGas(common: Common10, data: Uint8Array): bigint {
  if (!common.isActivatedEIP(7623)) return 0n;
  const { zero, nonZero } = tokens(data);
  return TX_GAS + (zero + nonZero * 4n) * FLOOR_PER_TOKEN;
}

export interface Pricing {
  /** GASPRICE and what gas costs the sender. */
  gasPrice: bigint;
  /** What the balance check multiplies gas by (geth: the fee cap). */
  feeCap: bigint;
  /** The call named no price at all (BASEFEE then reads 0, no fee checks). */
  priceless: boolean;
}

/** The call's gas price as geth's TransactionArgs.ToMessage sets it for eth_call. */
export function pricing(args: CallArgs, baseFee: bigint | undefined): Pricing {
  if (args.gasPrice !== undefined) return { gasPrice: args.gasPrice, feeCap: args.gasPrice, priceless: false };
  if (args.maxFeePerGas === undefined && args.maxPriorityFeePerGas === undefined) return { gasPrice: 0n, feeCap: 0n, priceless: true };
  const feeCap = args.maxFeePerGas ?? 0n;
  const tip = args.maxPriorityFeePerGas ?? 0n;
  const gasPrice = baseFee === undefined ? feeCap : tip + baseFee < feeCap ? tip + baseFee : feeCap;
  return { gasPrice, feeCap, priceless: feeCap === 0n && tip === 0n };
}

/** Gas used after refunds (EIP-3529 cap: a fifth) and the EIP-7623 floor. */
export function gasUsedAfterRefund(common: Common10, used: bigint, refund: bigint, floor: bigint): bigint {
  const quotient = common.isActivatedEIP(3529) ? 5n : 2n;
  const capped = refund < used / quotient ? refund : used / quotient;
  const net = used - capped;
  return net > floor ? net : floor;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Warm from the start: sender, recipient, precompiles, coinbase (EIP-3651), the access list. */
export function warmSet(
  common: Common10,
  o: { from: Uint8Array; to?: Uint8Array; coinbase: Uint8Array; precompiles: Iterable<string>; accessList?: readonly AccessListEntry[] },
): { addresses: string[]; slots: Array<[string, string]> } {
  if (!common.isActivatedEIP(2929)) return { addresses: [], slots: [] };
  const addresses = [hex(o.from), ...[...o.precompiles].map((p) => p.replace(/^0x/, '').toLowerCase())];
  if (o.to !== undefined) addresses.push(hex(o.to));
  if (common.isActivatedEIP(3651)) addresses.push(hex(o.coinbase));
  const slots: Array<[string, string]> = [];
  for (const e of o.accessList ?? []) {
    addresses.push(hex(e.address));
    for (const k of e.storageKeys) slots.push([hex(e.address), hex(k)]);
  }
  return { addresses, slots };
}
