// Benchmark (not a test): a cold ERC-20 balanceOf via eth_call through the real stack — anvil ←
// LesServer ← LesClient (scheduler, header chain, Odr facade) ← the local EVM. Per call (fresh
// caches each time): LES round trips (requests sent after an answer arrived start a new round),
// LES messages sent, and latency, beside anvil's own eth_call in the same run. Also a call
// through a second contract, in both miss modes and without early code.
// Goals: p50 ≤ 4× anvil's eth_call; 1 round trip (what the call needs sent together).
//
//   node --import tsx bench/client-call.ts [calls=20]
import type { OdrKind, Retriever, RetrieveOptions } from '../src/client/contracts.js';
import { EvmCall, type MissMode } from '../src/client/evm/index.js';
import { LesClient } from '../src/client/engine/index.js';
import { OdrFacade } from '../src/client/odr/facade.js';
import { LesServer } from '../src/serve/index.js';
import { startAnvil } from './lib/anvil.js';
import { FORWARDER_RUNTIME, balanceOfCall, balanceSlot, deploy, deployToken } from './lib/contracts.js';
import { emit, load1 } from './lib/report.js';

const CALLS = Number(process.argv[2] ?? 20);

/** Counts round trips: a retrieve() issued after any answer arrived since the round began starts a new one. */
class CountingRetriever implements Retriever {
  rounds = 0;
  requests = 0;
  #answered = true;
  constructor(private readonly inner: Retriever) {}
  servers() {
    return this.inner.servers();
  }
  retrieve<I, R>(kind: OdrKind<I, R>, item: I, options?: RetrieveOptions): Promise<R> {
    if (this.#answered) {
      this.rounds++;
      this.#answered = false;
    }
    this.requests++;
    return this.inner.retrieve(kind, item, options).finally(() => (this.#answered = true));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const anvil = await startAnvil({ hardfork: 'prague' });
  const server = new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, pollIntervalMs: 50 });
  let client: LesClient | undefined;
  try {
    const [acct] = (await anvil.rpc<string[]>('eth_accounts')) as [string];
    const rpc = <T>(m: string, p: unknown[]) => anvil.rpc<T>(m, p);
    const token = await deployToken(rpc, acct, acct, 10n ** 24n);
    const fwd = await deploy(rpc, acct, FORWARDER_RUNTIME);
    await anvil.rpc('evm_mine', []);
    const enode = await server.start();
    const genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    client = new LesClient({ servers: [{ enode, trusted: true }], network: 'devnet', genesisHash: genesis });
    await client.start();
    const target = Number(await anvil.rpc<string>('eth_blockNumber'));
    while ((client.head()?.header.number ?? -1) < target) await new Promise((r) => setTimeout(r, 20));
    const parts = client.parts;
    if (parts === undefined) throw new Error('client not started');
    const head = parts.chain.head();
    const balanceOf = balanceOfCall(token, acct);
    // As a wallet sends it after eth_createAccessList: the token and the holder's balance slot.
    const listed = { ...balanceOf, accessList: [{ address: token, storageKeys: [balanceSlot(acct)] }] };
    const forwarded = { to: fwd, data: `0x${token.slice(2).padStart(64, '0')}${balanceOf.data.slice(2)}` };

    const run = async (label: string, tx: object, mode: MissMode, early: boolean) => {
      const rounds: number[] = [];
      const messages: number[] = [];
      const ms: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const counting = new CountingRetriever(parts.scheduler);
        const odr = new OdrFacade({ retriever: counting, chain: parts.chain });
        const evm = new EvmCall({ odr, chain: parts.chain, chainId: 31337n, hardfork: 'prague', missMode: mode, ...(early ? { retriever: counting } : {}) });
        const sent = () => Object.values(parts.scheduler.metrics().kinds).reduce((n, k) => n + k.messagesSent, 0);
        const before = sent();
        const t0 = performance.now();
        const got = await evm.request('eth_call', [tx], head);
        ms.push(performance.now() - t0);
        rounds.push(counting.rounds);
        messages.push(sent() - before);
        if (i === 0 && got !== (await anvil.rpc('eth_call', [tx, `0x${head.header.number.toString(16)}`]))) throw new Error(`${label}: answer differs from anvil's`);
      }
      console.log(`${label.padEnd(44)} round trips ${median(rounds)} (max ${Math.max(...rounds)})  LES messages ${median(messages)}  p50 ${median(ms).toFixed(1)} ms`);
      return { ms: median(ms), rounds: Math.max(...rounds) };
    };

    const load0 = load1();
    const direct: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await anvil.rpc('eth_call', [balanceOf, 'latest']);
      direct.push(performance.now() - t0);
    }
    console.log(`calls per case: ${CALLS}, each cold (fresh Odr caches and EVM state)`);
    const cold = await run('cold balanceOf (continue, early code)', balanceOf, 'continue', true);
    const ours = cold.ms;
    const withList = await run('cold balanceOf with access list', listed, 'continue', true);
    await run('cold balanceOf (abort, early code)', balanceOf, 'abort', true);
    await run('cold balanceOf (continue, no early code)', balanceOf, 'continue', false);
    await run('forwarder→balanceOf (continue, early code)', forwarded, 'continue', true);
    await run('forwarder→balanceOf (abort, early code)', forwarded, 'abort', true);
    console.log(`anvil eth_call p50 ${median(direct).toFixed(1)} ms; verified cold call / direct = ${(ours / median(direct)).toFixed(1)}x`);
    const load = [load0, load1()] as [number, number];
    const anvilMs = median(direct);
    emit({ bench: 'client-call', metric: 'cold ERC-20 balanceOf via eth_call p50 vs anvil eth_call', value: cold.ms, baseline: anvilMs, unit: 'ms', ratio: cold.ms / anvilMs, goal: { op: '<=', target: 4 }, load });
    emit({ bench: 'client-call', metric: 'cold ERC-20 balanceOf via eth_call with its access list p50 vs anvil eth_call', value: withList.ms, baseline: anvilMs, unit: 'ms', ratio: withList.ms / anvilMs, goal: { op: '<=', target: 4 }, load });
    emit({ bench: 'client-call', metric: `cold ERC-20 balanceOf via eth_call: LES round trips per call (max of ${CALLS})`, value: cold.rounds, unit: 'round trips', ratio: cold.rounds, load, note: 'without an access list the slot is known only once the code has run' });
    emit({ bench: 'client-call', metric: `cold ERC-20 balanceOf via eth_call with its access list: LES round trips (max of ${CALLS})`, value: withList.rounds, unit: 'round trips', ratio: withList.rounds, goal: { op: '<=', target: 1 }, load });
  } finally {
    await client?.stop();
    await server.stop();
    await anvil.stop();
  }
}

await main();
