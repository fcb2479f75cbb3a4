/**
 * eth_createAccessList as go-ethereum does it: run the call with an opcode tracer that lists the
 * addresses and slots it touches — SLOAD/SSTORE slots of the running contract; the address operand
 * of BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH, SELFDESTRUCT and of the CALL family — leaving
 * out the sender, the recipient (or the created contract) and the precompiles; run again with that
 * list until it no longer changes (the list changes gas, and gas can change the path). The gas
 * used is the last run's. A revert is an error (code 3), as anvil answers.
 */
import type { EVMInterface, InterpreterStep } from '@ethereumjs/evm';
import { getCreateAddress } from 'ethers';
import { type AccessListEntry } from './call-params.js';
import { CallFailedError } from './errors.js';
import type { CallExecutor, RunInput } from './executor.js';
import type { FetchStats } from './fetch.js';
import { revertError } from './revert.js';

const SLOAD = 0x54;
const SSTORE = 0x55;
/** Opcodes whose top stack word is an address. */
const ADDRESS_AT_TOP = new Set([0x31, 0x3b, 0x3c, 0x3f, 0xff]);
/** Opcodes whose second stack word is an address (CALL, CALLCODE, DELEGATECALL, STATICCALL). */
const ADDRESS_SECOND = new Set([0xf1, 0xf2, 0xf4, 0xfa]);

const MAX_ROUNDS = 16;

const word = (v: bigint): string => v.toString(16).padStart(64, '0');
const addressOf = (v: bigint): string => word(v).slice(24);

/** Address hex → slot hexes (no 0x), sorted on output. */
export class AccessListTracer {
  private list = new Map<string, Set<string>>();

  constructor(
    private readonly initial: readonly AccessListEntry[],
    private readonly excluded: ReadonlySet<string>,
  ) {
    this.reset();
  }

  /** Back to the initial list (each run of the call starts afresh). */
  private reset(): void {
    this.list = new Map();
    for (const e of this.initial) {
      const a = Buffer.from(e.address).toString('hex');
      if (this.excluded.has(a)) continue;
      const slots = this.address(a);
      for (const k of e.storageKeys) slots.add(Buffer.from(k).toString('hex'));
    }
  }

  private address(a: string): Set<string> {
    let slots = this.list.get(a);
    if (slots === undefined) this.list.set(a, (slots = new Set()));
    return slots;
  }

  readonly onStep = (step: InterpreterStep): void => {
    const code = step.opcode.code;
    const stack = step.stack;
    const top = stack[stack.length - 1];
    if ((code === SLOAD || code === SSTORE) && top !== undefined) {
      this.address(Buffer.from(step.address.bytes).toString('hex')).add(word(top));
    } else if (ADDRESS_AT_TOP.has(code) && top !== undefined) {
      const a = addressOf(top);
      if (!this.excluded.has(a)) this.address(a);
    } else if (ADDRESS_SECOND.has(code) && stack.length >= 2) {
      const a = addressOf(stack[stack.length - 2] as bigint);
      if (!this.excluded.has(a)) this.address(a);
    }
  };

  attach(evm: EVMInterface): void {
    this.reset();
    evm.events?.on('step', this.onStep);
  }

  entries(): AccessListEntry[] {
    return [...this.list.keys()].sort().map((a) => ({
      address: Uint8Array.from(Buffer.from(a, 'hex')),
      storageKeys: [...(this.list.get(a) as Set<string>)].sort().map((k) => Uint8Array.from(Buffer.from(k, 'hex'))),
    }));
  }

  key(): string {
    return [...this.list.keys()].sort().map((a) => `${a}:${[...(this.list.get(a) as Set<string>)].sort().join(',')}`).join(';');
  }
}

export interface AccessListResult {
  accessList: AccessListEntry[];
  gasUsed: bigint;
}

export async function createAccessList(exec: CallExecutor, input: RunInput, stats: FetchStats): Promise<AccessListResult> {
  const { args } = input;
  const from = args.from ?? new Uint8Array(20);
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  let to: string;
  if (args.to !== undefined) to = hex(args.to);
  else {
    // The created contract's address needs the sender's nonce (fetched with the first round).
    const nonce = (await exec.accountOf(input, from, stats))?.nonce ?? 0n;
    to = getCreateAddress({ from: `0x${hex(from)}`, nonce }).slice(2).toLowerCase();
  }
  const precompiles = await exec.precompiles(input.header, input.blockOverrides);
  const excluded = new Set([hex(from), to, ...precompiles]);
  let prev = new AccessListTracer(args.accessList ?? [], excluded);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const accessList = prev.entries();
    const tracer = new AccessListTracer(accessList, excluded);
    const trace = (evm: EVMInterface) => {
      input.trace?.(evm);
      tracer.attach(evm);
    };
    const res = await exec.run({ ...input, accessList, trace }, stats);
    if (tracer.key() === prev.key()) {
      if (res.reverted) throw revertError(res.returnValue);
      if (!res.success) throw new CallFailedError(res.error ?? 'execution failed');
      return { accessList, gasUsed: res.gasUsed };
    }
    prev = tracer;
  }
  throw new CallFailedError(`the access list did not settle in ${MAX_ROUNDS} runs`);
}
