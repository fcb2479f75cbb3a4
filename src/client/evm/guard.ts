/**
 * The limits of one eth_call / eth_estimateGas / eth_createAccessList request: a time budget for
 * the EVM, summed over every run of the request (all of an estimateGas search), as geth's
 * --rpc.evmtimeout bounds execution; and the caller's AbortSignal, which also ends a wait for
 * state. Waiting for state from servers does not spend the budget (a slow network is not a slow
 * contract): the scheduler's request timeouts and the caller's deadline bound it.
 *
 * A tight JUMP loop never awaits anything but microtasks, so neither a timer nor an abort event can
 * run while it spins. The guard is therefore checked synchronously inside the interpreter: at
 * JUMPDEST (every backward jump lands on one; code without jumps is at most one code size long)
 * and before every message (CALL/CREATE family, precompiles), at the cost of one performance.now()
 * per CHECK_EVERY JUMPDESTs. Every YIELD_MS of running, the run awaits a macrotask so that the
 * process keeps answering (/health, other requests) and an abort or a timer can be seen.
 *
 * The EVM awaits a custom opcode's handler on every execution (one more microtask per JUMPDEST,
 * ~10% on a tight loop). Where the EVM's opcode table can be reached (its `_opcodeMap`, one per
 * instance), the JUMPDEST entry is switched to a synchronous copy of its Opcode and back to the
 * awaited one only for the JUMPDEST that yields; elsewhere every JUMPDEST is awaited.
 */
import type { EVMInterface, EVMOpts } from '@ethereumjs/evm';
import { LespError } from '../../errors.js';
import { CallAbortedError, CallTimeoutError } from './errors.js';

const JUMPDEST = 0x5b;
/** G_jumpdest: 1 in every fork so far (the custom entry must charge what the built-in one does). */
const JUMPDEST_GAS = 1;
/** JUMPDESTs between two clock readings (a loop of 24,576 opcodes × 16 is still ~0.1 s at worst). */
const CHECK_EVERY = 16;
/** Most time a run keeps the event loop to itself. */
const YIELD_MS = 10;

type OpHandler = (runState: unknown, common: unknown) => void | Promise<void>;

const yieldToLoop: () => Promise<void> =
  typeof setImmediate === 'function' ? () => new Promise((resolve) => setImmediate(resolve)) : () => new Promise((resolve) => setTimeout(resolve, 0));

export interface GuardOptions {
  /** EVM time budget of the whole request (every run), ms; 0 = none. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export class ExecutionGuard {
  private readonly timeoutMs: number;
  /** EVM time of the runs that ended. */
  private spent = 0;
  /** When the current run started (undefined between runs). */
  private runStart: number | undefined;
  private readonly signal: AbortSignal | undefined;
  private lastYield = performance.now();
  private countdown = CHECK_EVERY;
  /** The running EVM's JUMPDEST entry and its two Opcode objects, when it can be switched. */
  private jumpdest: { entry: { opcodeInfo: object }; sync: object; awaited: object } | undefined;
  private yieldNext = false;

  constructor(options: GuardOptions) {
    this.timeoutMs = options.timeoutMs;
    this.signal = options.signal;
  }

  /** A run of the EVM begins: its time counts from now. */
  startRun(): void {
    this.runStart = performance.now();
    this.lastYield = this.runStart;
  }

  /** The run ended (answered, failed or stopped). */
  endRun(): void {
    if (this.runStart !== undefined) this.spent += performance.now() - this.runStart;
    this.runStart = undefined;
  }

  private outOfTime(): boolean {
    if (this.timeoutMs <= 0) return false;
    const running = this.runStart === undefined ? 0 : performance.now() - this.runStart;
    return this.spent + running >= this.timeoutMs;
  }

  /** Whether the request is over (aborted or out of time): no reason to fetch and run again. */
  get ended(): boolean {
    return this.signal?.aborted === true || this.outOfTime();
  }

  /** Throws if the request was aborted (the signal's reason when it is one of ours) or its time is up. */
  check(): void {
    if (this.signal?.aborted === true) {
      const reason: unknown = this.signal.reason;
      throw reason instanceof LespError ? reason : new CallAbortedError(reason);
    }
    if (this.outOfTime()) throw new CallTimeoutError(this.timeoutMs);
  }

  /** The check, and a macrotask turn once YIELD_MS have passed since the last one. */
  private tick(): Promise<void> | undefined {
    this.check();
    const now = performance.now();
    if (now - this.lastYield < YIELD_MS) return undefined;
    return yieldToLoop().then(() => {
      this.lastYield = performance.now();
      this.check();
    });
  }

  /**
   * `work` (state fetching between runs) unless the caller aborts first. The fetch itself goes on:
   * its requests may be shared with other callers, and what it proves is cached.
   */
  async race<T>(work: Promise<T>): Promise<T> {
    this.check();
    const signal = this.signal;
    if (signal === undefined) return work;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      onAbort = () => {
        try {
          this.check();
        } catch (e) {
          reject(e);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, stop]);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
  }

  /** createEVM options that run the guard inside the interpreter (JUMPDEST hook). */
  evmOptions(): Pick<EVMOpts, 'customOpcodes'> {
    const logicFunction: OpHandler = () => {
      if (this.yieldNext) {
        // This JUMPDEST is awaited (see attach): give the event loop its turn.
        this.yieldNext = false;
        if (this.jumpdest !== undefined) this.jumpdest.entry.opcodeInfo = this.jumpdest.sync;
        return this.tick();
      }
      if (--this.countdown > 0) return undefined;
      this.countdown = CHECK_EVERY;
      if (this.jumpdest === undefined) return this.tick();
      this.check();
      if (performance.now() - this.lastYield >= YIELD_MS) {
        this.yieldNext = true;
        this.jumpdest.entry.opcodeInfo = this.jumpdest.awaited;
      }
      return undefined;
    };
    return { customOpcodes: [{ opcode: JUMPDEST, opcodeName: 'JUMPDEST', baseFee: JUMPDEST_GAS, logicFunction: logicFunction as never }] };
  }

  /** The check before every message (calls, creates, precompiles: recursion without loops). */
  attach(evm: EVMInterface): void {
    this.jumpdest = switchable(evm);
    this.yieldNext = false;
    // A listener of two arguments is awaited by the EVM (its second argument resolves it).
    evm.events?.on('beforeMessage', (_message: unknown, resolve?: (result?: unknown) => void) => {
      const next = this.tick();
      if (next === undefined) resolve?.();
      else next.then(() => resolve?.(), (e: unknown) => resolve?.(Promise.reject(e)));
    });
  }
}

/** The JUMPDEST entry of this EVM's opcode table, set to a synchronous copy of its Opcode; undefined if out of reach. */
function switchable(evm: EVMInterface): ExecutionGuard['jumpdest'] {
  const entry = (evm as unknown as { _opcodeMap?: Array<{ opcodeInfo: { isAsync?: unknown } } | undefined> })._opcodeMap?.[JUMPDEST];
  if (entry === undefined || entry.opcodeInfo.isAsync !== true || !Object.isExtensible(entry)) return undefined;
  const awaited = entry.opcodeInfo;
  // Of the same class as the others (a plain object would make the interpreter's hot reads polymorphic).
  const OpcodeClass = awaited.constructor as new (fields: object) => object;
  const sync = new OpcodeClass({ ...awaited, isAsync: false });
  entry.opcodeInfo = sync;
  return { entry, sync, awaited };
}
