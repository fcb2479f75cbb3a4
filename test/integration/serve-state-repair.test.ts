// When the computed root does not match the header: the mismatch is reported, the tracker repairs
// what it can from proven eth_getProof answers, marks what it cannot as not servable, and (with
// redumpOnFailure) recovers from a fresh dump. State is changed behind the tracer's back with
// anvil's cheat methods, and a trace is corrupted on its way in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type Anvil, sendTx, startAnvil } from '../helpers/anvil.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { type StateTrackerEvents, StateTracker } from '../../src/serve/state/tracker.js';

interface RpcBlock {
  number: string;
  hash: string;
  stateRoot: string;
}
const bytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const HISTORY = '0x0000F90827F1C53a10cb7A02335B175320002935';

type Event = { kind: keyof StateTrackerEvents; stage?: string; number?: number };
function record(t: StateTracker): Event[] {
  const events: Event[] = [];
  t.on('mismatch', (m) => events.push({ kind: 'mismatch', stage: m.stage, number: m.number }));
  t.on('repaired', (m) => events.push({ kind: 'repaired', stage: m.stage, number: m.number }));
  t.on('unservable', (m) => events.push({ kind: 'unservable', number: m.number }));
  t.on('start', (m) => events.push({ kind: 'start', number: m.number }));
  return events;
}

describe('state tracker repairs and reports root mismatches (anvil prague)', () => {
  let anvil: Anvil;
  let accounts: string[];
  let tracker: StateTracker;
  let events: Event[];
  let corrupt = false;
  let corrupted: StateTracker;
  let corruptedEvents: Event[];

  async function latest(): Promise<RpcBlock> {
    return anvil.rpc<RpcBlock>('eth_getBlockByNumber', ['latest', false]);
  }
  async function transfer(from: number, to: string, value = '0x1') {
    await sendTx(anvil, { from: accounts[from], to, value });
  }

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' }); // automine: one block per transaction
    accounts = await anvil.rpc<string[]>('eth_accounts');
    await anvil.rpc('evm_mine');
    tracker = await StateTracker.open({ store: openMemoryStore(), rpc: new NodeRpcClient({ url: anvil.url }), redumpOnFailure: true });
    events = record(tracker);
    // A second tracker whose node answers pass through a corrupting proxy when `corrupt` is set.
    const tamper: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = JSON.parse(String(init?.body)) as { method: string; params: unknown[] };
      const diffMode = (body.params?.[1] as { tracerConfig?: { diffMode?: boolean } } | undefined)?.tracerConfig?.diffMode === true;
      if (!corrupt || body.method !== 'debug_traceBlockByHash' || !diffMode) return res;
      const json = (await res.json()) as { result: Array<{ result: { post: Record<string, { balance?: string }> } }> };
      const post = json.result[0]!.result.post[accounts[0]!.toLowerCase()]!;
      post.balance = `0x${(BigInt(post.balance!) + 1n).toString(16)}`; // one wei off for the sender
      return new Response(JSON.stringify(json), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    corrupted = await StateTracker.open({ store: openMemoryStore(), rpc: new NodeRpcClient({ url: anvil.url, fetch: tamper }), redumpOnFailure: false });
    corruptedEvents = record(corrupted);
  });
  after(async () => {
    await tracker?.close();
    await corrupted?.close();
    await anvil?.stop();
  });

  it('follows without mismatch while nothing bypasses the transactions', async () => {
    await transfer(0, accounts[5]!);
    const rec = await tracker.sync();
    assert.equal(rec.servable, true);
    assert.deepEqual(events, []);
    await corrupted.sync();
    assert.deepEqual(corruptedEvents, []);
  });

  it('a corrupted trace: mismatch reported, repaired from the touched accounts\' proofs', async () => {
    corrupt = true;
    await transfer(0, accounts[6]!);
    const rec = await corrupted.sync();
    corrupt = false;
    const head = await latest();
    assert.deepEqual(corruptedEvents, [
      { kind: 'mismatch', stage: 'trace', number: Number(head.number) },
      { kind: 'repaired', stage: 'touched', number: Number(head.number) },
    ]);
    assert.equal(rec.servable, true);
    assert.equal(hex(rec.computedRoot), head.stateRoot);
    const balance = corrupted.getAccount(rec.stateRoot, keccak256(bytes(accounts[0]!)))?.balance;
    assert.equal(balance, BigInt(await anvil.rpc<string>('eth_getBalance', [accounts[0], head.number])));
    corruptedEvents.length = 0;
    await tracker.sync();
    assert.deepEqual(events, [], 'the honest tracker saw nothing wrong');
  });

  it('anvil_setBalance of an untouched known account: repaired from all known accounts', async () => {
    await anvil.rpc('anvil_setBalance', [accounts[3], '0x1234567890']);
    await transfer(0, accounts[5]!);
    const rec = await tracker.sync();
    const head = await latest();
    assert.deepEqual(events, [
      { kind: 'mismatch', stage: 'trace', number: Number(head.number) },
      { kind: 'mismatch', stage: 'touched', number: Number(head.number) },
      { kind: 'repaired', stage: 'known', number: Number(head.number) },
    ]);
    assert.equal(rec.servable, true);
    assert.equal(tracker.getAccount(rec.stateRoot, keccak256(bytes(accounts[3]!)))?.balance, 0x1234567890n);
    events.length = 0;
    assert.equal((await corrupted.sync()).servable, true);
    corruptedEvents.length = 0;
  });

  it('anvil_setStorageAt of a known slot of a touched contract: repaired with its known slots', async () => {
    const slot0 = `0x${'00'.repeat(32)}`;
    const value = `0x${'ab'.repeat(32)}`;
    await anvil.rpc('anvil_setStorageAt', [HISTORY, slot0, value]);
    await transfer(1, accounts[5]!);
    const rec = await tracker.sync();
    // The history contract is touched by every block (EIP-2935 system write).
    assert.deepEqual(events.map((e) => `${e.kind}:${e.stage}`), ['mismatch:trace', 'repaired:touched']);
    const account = tracker.getAccount(rec.stateRoot, keccak256(bytes(HISTORY)))!;
    assert.equal(tracker.prover.getStorage(account.storageRoot, keccak256(bytes(slot0))), BigInt(value));
    events.length = 0;
    assert.equal((await corrupted.sync()).servable, true);
    corruptedEvents.length = 0;
  });

  it('a block the node no longer answers for honestly: not servable; the next block recovers', async () => {
    // anvil answers "at block N" with N's state plus cheat changes made after N: proofs for N then
    // do not verify against N's header, are set aside, and N cannot be repaired.
    const lagging = await StateTracker.open({ store: openMemoryStore(), rpc: new NodeRpcClient({ url: anvil.url }), redumpOnFailure: false });
    const laggingEvents = record(lagging);
    await anvil.rpc('anvil_setBalance', [accounts[8], '0x8888']);
    await transfer(0, accounts[5]!);
    const n = await latest();
    await anvil.rpc('anvil_setBalance', [accounts[9], '0x9999']);
    await transfer(0, accounts[5]!);
    const n1 = await latest();
    const rec = await lagging.sync();
    assert.deepEqual(laggingEvents, [
      { kind: 'mismatch', stage: 'trace', number: Number(n.number) },
      { kind: 'unservable', number: Number(n.number) },
      { kind: 'mismatch', stage: 'trace', number: Number(n1.number) },
      { kind: 'mismatch', stage: 'touched', number: Number(n1.number) },
      { kind: 'repaired', stage: 'known', number: Number(n1.number) },
    ]);
    assert.equal(await lagging.servableStateRoot(bytes(n.hash)), undefined);
    assert.equal(hex(rec.hash), n1.hash);
    assert.equal(rec.servable, true);
    await lagging.close();
    for (const t of [tracker, corrupted]) assert.equal((await t.sync()).servable, true);
    events.length = 0;
    corruptedEvents.length = 0;
  });

  it('a change to an address never seen: not servable, reported; the other tracker re-dumps and recovers', async () => {
    const stranger = `0x${'5e'.repeat(20)}`;
    await anvil.rpc('anvil_setBalance', [stranger, '0x77']);
    await transfer(2, accounts[5]!);
    const broken = await latest();

    const rec = await corrupted.sync(); // redumpOnFailure: false
    assert.equal(rec.servable, false);
    assert.equal(hex(rec.stateRoot), broken.stateRoot);
    assert.notEqual(hex(rec.computedRoot), broken.stateRoot);
    assert.deepEqual(corruptedEvents.map((e) => `${e.kind}:${e.stage ?? ''}`), ['mismatch:trace', 'mismatch:touched', 'mismatch:known', 'unservable:']);
    assert.equal(await corrupted.servableStateRoot(bytes(broken.hash)), undefined, 'never served');
    await transfer(2, accounts[5]!);
    const next = await corrupted.sync();
    assert.equal(next.servable, false, 'the error carries on: the stranger is still unknown');

    const startsBefore = tracker.stats.startLoads;
    const recovered = await tracker.sync(); // redumpOnFailure: true
    const head = await latest();
    assert.equal(tracker.stats.startLoads, startsBefore + 1, 'a fresh dump was loaded');
    assert.equal(hex(recovered.hash), head.hash);
    assert.equal(recovered.servable, true);
    assert.equal(tracker.getAccount(recovered.stateRoot, keccak256(bytes(stranger)))?.balance, 0x77n);
    assert.equal(await tracker.servableStateRoot(bytes(broken.hash)), undefined, 'the broken block stays unservable');
    assert.ok(events.some((e) => e.kind === 'unservable' && e.number === Number(broken.number)));

    await transfer(4, accounts[6]!);
    const after = await tracker.sync();
    assert.equal(after.servable, true, 'follows on from the new start');
  });
});
