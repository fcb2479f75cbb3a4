/**
 * NodeStateProver against a fake node whose eth_getProof answers come from an independent trie
 * (@ethereumjs/trie, secure-keyed like the state trie): proofs that check are served and cached
 * (one JSON-RPC batch per request, none for a repeated key), and every kind of wrong answer — a
 * proof of another state, a padded proof, malformed nodes, code that does not hash to the
 * codeHash — is refused and logged as an error, never served.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { NodeRpcClient } from '../../../src/serve/rpc/client.js';
import { NodeStateProver, type ProveItem } from '../../../src/serve/state/node-prover.js';
import { EMPTY_CODE_HASH, ProofNodeSet, readAccount, readStorage, verifyAccountProof } from '../../../src/verify/index.js';

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const addr = (i: number) => new Uint8Array(20).fill(i);
const slot = (i: number) => {
  const s = new Uint8Array(32);
  s[31] = i;
  return s;
};
const CODE = Uint8Array.of(0x60, 0x01, 0x00);
const uint = (n: bigint) => (n === 0n ? new Uint8Array(0) : Uint8Array.from(Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'), 'hex')));

type Call = { id: number; method: string; params: unknown[] };

interface World {
  state: Trie;
  storage: Trie;
  root: Uint8Array;
  other: Trie;
}

async function world(): Promise<World> {
  const storage = new Trie({ useKeyHashing: true });
  for (let i = 1; i <= 20; i++) await storage.put(slot(i), RLP.encode(uint(BigInt(i * 1000))));
  const state = new Trie({ useKeyHashing: true });
  const other = new Trie({ useKeyHashing: true });
  for (let i = 1; i <= 50; i++) {
    const withCode = i === 1;
    const acct = RLP.encode([uint(BigInt(i)), uint(BigInt(i) * 10n ** 18n), withCode ? storage.root() : keccak256(RLP.encode(new Uint8Array(0))), withCode ? keccak256(CODE) : EMPTY_CODE_HASH]);
    await state.put(addr(i), acct);
    await other.put(addr(i), RLP.encode([uint(0n), uint(BigInt(i)), keccak256(RLP.encode(new Uint8Array(0))), EMPTY_CODE_HASH]));
  }
  return { state, storage, root: state.root(), other };
}

/** A JSON-RPC node answering from `w`, with `lie` rewriting answers; records each HTTP request's calls. */
function fakeNode(w: World, lie: (call: Call, result: unknown) => unknown = (_c, r) => r) {
  const requests: Call[][] = [];
  const fetchFn = (async (_url: string, init: { body: string }) => {
    const body = JSON.parse(init.body) as Call | Call[];
    const calls = Array.isArray(body) ? body : [body];
    requests.push(calls);
    const answers = await Promise.all(
      calls.map(async (c) => {
        if (c.method === 'eth_getCode') return { jsonrpc: '2.0', id: c.id, result: await lie(c, hex(CODE)) };
        if (c.method !== 'eth_getProof') return { jsonrpc: '2.0', id: c.id, error: { code: -32601, message: 'no' } };
        const a = Uint8Array.from(Buffer.from((c.params[0] as string).slice(2), 'hex'));
        const accountProof = (await w.state.createProof(a)).map(hex);
        // As anvil does, an account with an empty storage trie gets the empty root's "node" 0x80 as each storage proof.
        const own = a[0] === 1;
        const storageProof = await Promise.all((c.params[1] as string[]).map(async (k) => ({ key: k, value: '0x0', proof: own ? (await w.storage.createProof(Uint8Array.from(Buffer.from(k.slice(2), 'hex')))).map(hex) : ['0x80'] })));
        const result = await lie(c, { accountProof, storageProof });
        return result === undefined ? { jsonrpc: '2.0', id: c.id, error: { code: -32000, message: 'missing trie node' } } : { jsonrpc: '2.0', id: c.id, result };
      }),
    );
    const text = JSON.stringify(Array.isArray(body) ? answers : answers[0]);
    return { status: 200, text: async () => text };
  }) as unknown as typeof fetch;
  return { requests, rpc: new NodeRpcClient({ url: 'http://fake', fetch: fetchFn, retries: 0 }) };
}

function logs() {
  const errors: string[] = [];
  const warns: string[] = [];
  return { errors, warns, log: { warn: (_o: object, m: string) => void warns.push(m), error: (_o: object, m: string) => void errors.push(m) } };
}

const item = (i: number, s?: number): ProveItem =>
  s === undefined
    ? { accountKey: keccak256(addr(i)), storageKey: new Uint8Array(0), fromLevel: 0, address: addr(i) }
    : { accountKey: keccak256(addr(i)), storageKey: keccak256(slot(s)), fromLevel: 0, address: addr(i), slot: slot(s) };

let w: World;
before(async () => {
  w = await world();
});

describe('NodeStateProver', () => {
  it('serves proofs that verify against the stateRoot: accounts, storage, absent; one JSON-RPC batch per call, none for repeated keys', async () => {
    const node = fakeNode(w);
    const l = logs();
    const p = new NodeStateProver({ rpc: node.rpc, log: l.log });
    const st = { number: 5, hash: new Uint8Array(32).fill(5), stateRoot: w.root };
    const items = [item(2), item(1, 3), item(1, 99), item(200), item(1, 4), item(2, 3)];
    const out = await p.prove(st, items);
    assert.equal(out.length, items.length);
    assert.equal(node.requests.length, 1, 'one HTTP request');
    assert.equal(node.requests[0]!.length, 3, 'one eth_getProof per address, slots together');
    // A slot of an account with an empty storage trie: the account path alone, every node a list.
    assert.deepEqual(out[5]!.nodes, out[0]!.nodes);
    assert.deepEqual(node.requests[0]!.find((c) => (c.params[0] as string) === hex(addr(1)))!.params[1], [hex(slot(3)), hex(slot(99)), hex(slot(4))]);
    assert.equal(verifyAccountProof(w.root, addr(2), out[0]!.nodes)?.balance, 2n * 10n ** 18n);
    assert.equal(verifyAccountProof(w.root, addr(200), out[3]!.nodes), undefined);
    const set = new ProofNodeSet(out[1]!.nodes, 's');
    assert.equal(readStorage(set, readAccount(set, w.root, addr(1))!.storageRoot, { slot: slot(3) }), 3000n);
    set.assertAllUsed();
    const again = await p.prove(st, items);
    assert.equal(node.requests.length, 1, 'repeated keys come from the cache');
    assert.deepEqual(again.map((x) => x.nodes.length), out.map((x) => x.nodes.length));
    assert.deepEqual(l.errors, []);
  });

  it('fromLevel omits that many nodes nearest the root of the proven trie', async () => {
    const p = new NodeStateProver({ rpc: fakeNode(w).rpc, log: logs().log });
    const st = { number: 5, hash: new Uint8Array(32).fill(5), stateRoot: w.root };
    const [full] = await p.prove(st, [item(7)]);
    const [cut] = await p.prove(st, [{ ...item(7), fromLevel: 1 }]);
    assert.deepEqual(cut!.nodes, full!.nodes.slice(1));
  });

  const lies: Array<[string, (w: World) => (c: Call, r: unknown) => unknown]> = [
    ['a proof of another state', (world) => (c, r) => (c.method === 'eth_getProof' ? swapped(world, c, r) : r)],
    ['a proof padded with a node no walk needs beyond the bound', () => (c, r) => (c.method === 'eth_getProof' ? { ...(r as object), accountProof: Array.from({ length: 81 }, () => '0xc0') } : r)],
    ['a node that is not hex', () => (c, r) => (c.method === 'eth_getProof' ? { ...(r as object), accountProof: ['0xzz'] } : r)],
    ['a node of 2 KiB', () => (c, r) => (c.method === 'eth_getProof' ? { ...(r as object), accountProof: [`0x${'c0'.repeat(2048)}`] } : r)],
    ['a storageProof list of the wrong length', () => (c, r) => (c.method === 'eth_getProof' ? { ...(r as object), storageProof: [] } : r)],
    ['a result that is not an object', () => (c, r) => (c.method === 'eth_getProof' ? 'proof' : r)],
  ];
  for (const [what, lie] of lies) {
    it(`refuses ${what}: logged as an error, nothing served from the first item it touches on`, async () => {
      const l = logs();
      const p = new NodeStateProver({ rpc: fakeNode(w, lie(w)).rpc, log: l.log });
      const st = { number: 5, hash: new Uint8Array(32).fill(5), stateRoot: w.root };
      const out = await p.prove(st, [item(1, 3), item(3)]);
      assert.deepEqual(out, []);
      assert.ok(l.errors.length >= 1 && /WRONG PROOF/.test(l.errors[0]!), l.errors.join());
      assert.ok(p.stats.wrongAnswers >= 1);
    });
  }

  it('a node error is "no state here": a warning, nothing served, nobody called a liar', async () => {
    const l = logs();
    const p = new NodeStateProver({ rpc: fakeNode(w, (c, r) => (c.method === 'eth_getProof' ? undefined : r)).rpc, log: l.log });
    const out = await p.prove({ number: 5, hash: new Uint8Array(32), stateRoot: w.root }, [item(3)]);
    assert.deepEqual(out, []);
    assert.equal(l.errors.length, 0);
  });

  it('code: served when it hashes to the proven codeHash (then cached), refused and logged when not', async () => {
    const st = { number: 5, hash: new Uint8Array(32).fill(5), stateRoot: w.root };
    const good = fakeNode(w);
    const p = new NodeStateProver({ rpc: good.rpc, log: logs().log });
    const proven = await p.prove(st, [item(1), item(2)]);
    const codes = await p.codes(st, [{ address: addr(1), account: proven[0]!.account }, { address: addr(2), account: proven[1]!.account }, { address: addr(200), account: undefined }]);
    assert.deepEqual(codes.map(hex), [hex(CODE), '0x', '0x']);
    const calls = good.requests.length;
    await p.codes(st, [{ address: addr(1), account: proven[0]!.account }]);
    assert.equal(good.requests.length, calls, 'code cached by codeHash');

    const l = logs();
    const bad = new NodeStateProver({ rpc: fakeNode(w, (c, r) => (c.method === 'eth_getCode' ? '0x6002' : r)).rpc, log: l.log });
    const [acc] = await bad.prove(st, [item(1)]);
    assert.deepEqual(await bad.codes(st, [{ address: addr(1), account: acc!.account }]), []);
    assert.ok(/WRONG PROOF OR CODE/.test(l.errors[0] ?? ''));
  });
});

/** The same address's proof in another trie: a real proof, of another state root. */
function swapped(world: World, c: Call, r: unknown): unknown {
  const a = Uint8Array.from(Buffer.from((c.params[0] as string).slice(2), 'hex'));
  return world.other.createProof(a).then((p) => ({ ...(r as object), accountProof: p.map(hex) }));
}
