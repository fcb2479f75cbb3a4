// Benchmark (not a test): what the EVM's stop checks cost (src/client/evm/guard.ts: a hook at
// JUMPDEST reading the clock every 16th time and yielding to the event loop every 10 ms, and a
// check before every message). The same eth_calls on the local EVM with the guard and with the
// hook taken out, interleaved, state cached (EVM time only): a plain call (return 42) and a loop of
// 100,000 iterations (700,000 opcodes, a JUMPDEST each iteration: the hook's worst case). Goal:
// the loop ≤ 1.10 × without the guard (the plain call: 50 calls per sample).
//
//   node --import tsx bench/evm-guard.ts [rounds=15]
import { EvmCall } from '../src/client/evm/index.js';
import { ExecutionGuard } from '../src/client/evm/guard.js';
import { startAnvil } from '../test/helpers/anvil.js';
import { AnvilStateOdr, anvilChain, anvilHeader } from '../test/helpers/anvil-odr-evm.js';
import { emit, load1 } from './lib/report.js';

const ROUNDS = Number(process.argv[2] ?? 15);
const TARGET = '0x00000000000000000000000000000000000c0de0';
// PUSH3 100000; JUMPDEST; PUSH1 1; SWAP1; SUB; DUP1; PUSH1 4; JUMPI; STOP
const LOOP = '0x620186a05b600190038060045700';
// PUSH1 42; PUSH1 0; MSTORE; PUSH1 32; PUSH1 0; RETURN
const PLAIN = '0x602a60005260206000f3';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const anvil = await startAnvil({ hardfork: 'prague' });
try {
  await anvil.rpc('anvil_mine', ['0x1']);
  const head = await anvilHeader(anvil);
  const evm = new EvmCall({ odr: new AnvilStateOdr(anvil), chain: anvilChain(anvil, head), chainId: 31337n, hardfork: 'prague' });
  /** ms per call, over `n` calls in a row (the plain call is too short to time alone). */
  const call = async (code: string, n = code === PLAIN ? 50 : 1): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < n; i++) await evm.request('eth_call', [{ to: TARGET }, 'latest', { [TARGET]: { code } }], head);
    return (performance.now() - t) / n;
  };
  const guarded = { evmOptions: ExecutionGuard.prototype.evmOptions, attach: ExecutionGuard.prototype.attach };
  const setGuard = (on: boolean) => {
    ExecutionGuard.prototype.evmOptions = on ? guarded.evmOptions : () => ({});
    ExecutionGuard.prototype.attach = on ? guarded.attach : () => undefined;
  };
  for (const [name, code] of [['plain call (return 42)', PLAIN], ['loop of 100,000 iterations', LOOP]] as const) {
    await call(code);
    const on: number[] = [];
    const off: number[] = [];
    const before = load1();
    for (let i = 0; i < ROUNDS; i++) {
      // Alternating which goes first, so that neither always runs right after the other.
      for (const guard of i % 2 === 0 ? [false, true] : [true, false]) {
        setGuard(guard);
        (guard ? on : off).push(await call(code));
      }
    }
    const value = median(on);
    const baseline = median(off);
    console.log(`${name}: with the guard ${value.toFixed(2)} ms, without ${baseline.toFixed(2)} ms (medians of ${ROUNDS})`);
    emit({
      bench: 'evm-guard',
      metric: `eth_call ${name}, with the stop checks vs without`,
      value,
      baseline,
      unit: 'ms',
      ratio: value / baseline,
      ...(code === LOOP ? { goal: { op: '<=' as const, target: 1.1 } } : {}),
      load: [before, load1()],
    });
  }
} finally {
  await anvil.stop();
}
