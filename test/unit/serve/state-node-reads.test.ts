// What the state module reads from the node beyond the tracer diff, against a scripted node:
// out-of-transaction changes (EIP-2935 / EIP-4788 slots, withdrawals, proof-of-work rewards),
// anvil's accessed accounts and slots, repair answers that must prove against the header root,
// and damaged records in our own store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { bigIntToUnpaddedBytes } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { RpcBlockHead } from '../../../src/serve/rpc/block.js';
import { NodeRpcClient } from '../../../src/serve/rpc/client.js';
import { EMPTY_TRIE_ROOT, emptyAccount } from '../../../src/serve/state/account.js';
import { StateDiff } from '../../../src/serve/state/diff.js';
import { StateError } from '../../../src/serve/state/errors.js';
import { keepAccessed } from '../../../src/serve/state/quirks.js';
import { StateRecords } from '../../../src/serve/state/records.js';
import { fetchProvenAccounts } from '../../../src/serve/state/repair.js';
import { applyOutOfTxChanges } from '../../../src/serve/state/system.js';
import { StateTracker } from '../../../src/serve/state/tracker.js';
import { openMemoryStore } from '../../../src/store/memory.js';

type Call = { method: string; params: unknown[] };
function scriptedNode(answer: (c: Call) => unknown): { rpc: NodeRpcClient; calls: Call[] } {
  const calls: Call[] = [];
  const f: typeof fetch = async (_u, init) => {
    const body = JSON.parse(String(init?.body)) as (Call & { id: number }) | Array<Call & { id: number }>;
    const one = (c: Call & { id: number }) => {
      calls.push({ method: c.method, params: c.params });
      return { jsonrpc: '2.0', id: c.id, result: answer(c) };
    };
    return new Response(JSON.stringify(Array.isArray(body) ? body.map(one) : one(body)));
  };
  return { rpc: new NodeRpcClient({ url: 'http://127.0.0.1:1', fetch: f }), calls };
}

const h = (s: string) => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const hx = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const HISTORY = h('0000F90827F1C53a10cb7A02335B175320002935');
const BEACON = h('000F3df6D732807Ef1319fB7B8bB8522d0Beac02');
const ALICE = h('70997970c51812dc3a010c7d01b50e0d17dc79c8');
const BOB = h('3c44cdddb6a900fa2b585dd299e03d12fa4293bc');

function head(patch: Partial<RpcBlockHead> = {}): RpcBlockHead {
  return {
    number: 100,
    hash: new Uint8Array(32).fill(0xbb),
    parentHash: new Uint8Array(32).fill(0xaa),
    stateRoot: new Uint8Array(32).fill(0x55),
    miner: new Uint8Array(20).fill(0xcc),
    timestamp: 1_700_000_000,
    difficulty: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
    withdrawals: [],
    uncles: [],
    ...patch,
  };
}
const slotOf = (c: Call) => BigInt(c.params[1] as string);

describe('applyOutOfTxChanges', () => {
  it('reads the EIP-2935 slot (number − 1) mod 8191 and the EIP-4788 slots t mod 8191, 8191 + t mod 8191, where the contract has code', async () => {
    const { rpc, calls } = scriptedNode((c) => `0x${(slotOf(c) + 1n).toString(16)}`);
    const diff = new StateDiff();
    await applyOutOfTxChanges(rpc, head({ number: 9000 }), diff, (a) => a.every((b, i) => b === HISTORY[i]) || a.every((b, i) => b === BEACON[i]));
    const slots = calls.map((c) => [String(c.params[0]).toLowerCase(), slotOf(c)]);
    const t = 1_700_000_000n % 8191n;
    assert.deepEqual(slots, [
      [hx(BEACON), t],
      [hx(BEACON), t + 8191n],
      [hx(HISTORY), 8999n % 8191n],
    ]);
    assert.ok(calls.every((c) => JSON.stringify(c.params[2]) === JSON.stringify({ blockHash: hx(head().hash) })), 'read at the block hash');
    const history = [...diff.accounts.values()].find((w) => hx(w.address) === hx(HISTORY))!;
    assert.deepEqual([...history.storage.values()], [8999n % 8191n + 1n]);
  });

  it('skips system contracts without code, and the history slot of block 0', async () => {
    const { rpc, calls } = scriptedNode(() => '0x0');
    await applyOutOfTxChanges(rpc, head(), new StateDiff(), () => false);
    await applyOutOfTxChanges(rpc, head({ number: 0 }), new StateDiff(), (a) => a.every((b, i) => b === HISTORY[i]));
    assert.deepEqual(calls, []);
  });

  it('credits withdrawals in Gwei on top of the parent balance and earlier credits', async () => {
    const { rpc } = scriptedNode(() => null);
    const diff = new StateDiff((a) => (a.every((b, i) => b === ALICE[i]) ? { ...emptyAccount(), balance: 5n } : undefined));
    const w = (address: Uint8Array, amount: bigint, index: bigint) => ({ index, validatorIndex: 7n, address, amount });
    await applyOutOfTxChanges(rpc, head({ withdrawals: [w(ALICE, 2n, 1n), w(BOB, 3n, 2n), w(ALICE, 1n, 3n)] }), diff, () => false);
    assert.equal(diff.balanceOf(ALICE), 5n + 3n * 10n ** 9n);
    assert.equal(diff.balanceOf(BOB), 3n * 10n ** 9n);
  });

  it('proof of work: sets the final balances of the miner and of uncle miners, read from the node', async () => {
    const uncleMiner = new Uint8Array(20).fill(0xdd);
    const { rpc, calls } = scriptedNode((c) =>
      c.method === 'eth_getUncleByBlockHashAndIndex' ? { miner: hx(uncleMiner) } : c.method === 'eth_getBalance' ? (String(c.params[0]) === hx(uncleMiner) ? '0x2' : '0x1') : null,
    );
    const diff = new StateDiff();
    await applyOutOfTxChanges(rpc, head({ difficulty: 131072n, uncles: [new Uint8Array(32).fill(1)] }), diff, () => false);
    assert.equal(diff.balanceOf(head().miner), 1n);
    assert.equal(diff.balanceOf(uncleMiner), 2n);
    assert.deepEqual(calls.map((c) => c.method), ['eth_getUncleByBlockHashAndIndex', 'eth_getBalance', 'eth_getBalance']);
  });

  it('rejects a node answer that is not a quantity as STATE_BAD_TRACE', async () => {
    const { rpc } = scriptedNode(() => 'zero');
    await assert.rejects(
      applyOutOfTxChanges(rpc, head(), new StateDiff(), (a) => a.every((b, i) => b === HISTORY[i])),
      (e: unknown) => e instanceof StateError && e.code === 'STATE_BAD_TRACE',
    );
  });
});

describe('keepAccessed (anvil)', () => {
  it('keeps new accessed accounts empty, zeroes new accessed slots, leaves the rest', () => {
    const slot = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
    const trace = [
      {
        result: {
          [hx(ALICE)]: { balance: '0x0' },
          [hx(BOB)]: { balance: '0x1', storage: { [slot(1)]: slot(0), [slot(2)]: slot(7) } },
          [hx(HISTORY)]: { balance: '0x0', storage: { [slot(3)]: slot(0) } },
        },
      },
    ];
    const diff = new StateDiff();
    diff.destroy(HISTORY);
    keepAccessed(trace, diff, {
      hasAccount: (a) => a.every((b, i) => b === BOB[i]),
      hasSlot: (_a, s) => s[31] === 2,
    });
    const alice = diff.accounts.get(hx(ALICE).slice(2))!;
    assert.equal(alice.presence, 'keep');
    const bob = diff.accounts.get(hx(BOB).slice(2))!;
    assert.deepEqual([...bob.storage], [[slot(1).slice(2), 0n]], 'only the slot the parent lacks');
    assert.equal(diff.accounts.get(hx(HISTORY).slice(2))!.storage.size, 0, 'a destroyed account gets no slots');
  });

  it('rejects a malformed access trace as STATE_BAD_TRACE', () => {
    for (const bad of [{}, [{ error: 'boom' }], [{ result: { '0x12': {} } }], [{ result: { [hx(ALICE)]: { storage: { '0x01': '0x0' } } } }]]) {
      assert.throws(() => keepAccessed(bad, new StateDiff(), { hasAccount: () => true, hasSlot: () => false }), (e: unknown) => e instanceof StateError && e.code === 'STATE_BAD_TRACE');
    }
  });
});

describe('fetchProvenAccounts', () => {
  async function referenceState() {
    const t = new Trie({ useKeyHashing: true });
    const st = new Trie({ useKeyHashing: true });
    const slot1 = new Uint8Array(32);
    slot1[31] = 1;
    await st.put(slot1, RLP.encode(bigIntToUnpaddedBytes(42n)));
    await t.put(ALICE, RLP.encode([bigIntToUnpaddedBytes(3n), bigIntToUnpaddedBytes(10n ** 18n), st.root(), keccak256(Uint8Array.of(0))]));
    await t.put(BOB, RLP.encode([new Uint8Array(0), bigIntToUnpaddedBytes(1n), EMPTY_TRIE_ROOT, keccak256(new Uint8Array(0))]));
    return { t, st, slot1 };
  }

  it('takes values only from proofs that verify against the header root', async () => {
    const { t, st, slot1 } = await referenceState();
    const aliceProof = (await t.createProof(ALICE)).map(hx);
    const stranger = new Uint8Array(20).fill(0x99);
    const answers: Record<string, unknown> = {
      [hx(ALICE)]: { accountProof: aliceProof, storageProof: [{ key: hx(slot1), value: '0x2a', proof: (await st.createProof(slot1)).map(hx) }] },
      [hx(BOB)]: { accountProof: (await t.createProof(BOB)).map(hx).slice(0, 1), storageProof: [] }, // truncated
      [hx(stranger)]: { accountProof: (await t.createProof(stranger)).map(hx), storageProof: [] },
    };
    const { rpc } = scriptedNode((c) => answers[String(c.params[0])]);
    const res = await fetchProvenAccounts(rpc, { hash: head().hash, stateRoot: t.root() }, [
      { address: ALICE, slots: [slot1] },
      { address: BOB, slots: [] },
      { address: stranger, slots: [] },
    ]);
    assert.equal(res.proven.length, 2);
    assert.equal(res.proven[0]!.account?.nonce, 3n);
    assert.equal(res.proven[0]!.account?.balance, 10n ** 18n);
    assert.deepEqual(res.proven[0]!.slots, [{ slot: slot1, value: 42n }]);
    assert.equal(res.proven[1]!.account, undefined, 'proven absent');
    assert.deepEqual(res.rejected.map((r) => hx(r.address)), [hx(BOB)]);
  });

  it('sets aside a proof of another state and a malformed answer', async () => {
    const { t } = await referenceState();
    const other = new Trie({ useKeyHashing: true });
    await other.put(ALICE, RLP.encode([new Uint8Array(0), bigIntToUnpaddedBytes(1n), EMPTY_TRIE_ROOT, keccak256(new Uint8Array(0))]));
    const answers: Record<string, unknown> = {
      [hx(ALICE)]: { accountProof: (await other.createProof(ALICE)).map(hx), storageProof: [] },
      [hx(BOB)]: { accountProof: ['0xzz'], storageProof: [] },
    };
    const { rpc } = scriptedNode((c) => answers[String(c.params[0])]);
    const res = await fetchProvenAccounts(rpc, { hash: head().hash, stateRoot: t.root() }, [{ address: ALICE, slots: [] }, { address: BOB, slots: [] }]);
    assert.equal(res.proven.length, 0);
    assert.equal(res.rejected.length, 2);
  });
});

describe('damaged records', () => {
  it('a garbage block record or head is STATE_CORRUPT_RECORD, also when opening a tracker', async () => {
    const store = openMemoryStore();
    const records = new StateRecords(store);
    const hash = new Uint8Array(32).fill(3);
    await store.namespace('blocks').put(hash, Uint8Array.of(0xc1, 0x80));
    await assert.rejects(records.getBlock(hash), (e: unknown) => e instanceof StateError && e.code === 'STATE_CORRUPT_RECORD' && e.field === 'blocks');
    await store.batch(records.headOps({ number: 5, hash: new Uint8Array(32).fill(9) }));
    const { rpc } = scriptedNode(() => 'anvil/v1.7.1');
    await assert.rejects(StateTracker.open({ store, rpc }), (e: unknown) => e instanceof StateError && e.code === 'STATE_CORRUPT_RECORD' && e.field === 'meta/head');
    await store.namespace('meta').put(new TextEncoder().encode('head'), Uint8Array.of(0x01));
    await assert.rejects(records.getHead(), (e: unknown) => e instanceof StateError && e.code === 'STATE_CORRUPT_RECORD');
  });
});
