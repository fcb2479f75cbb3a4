/**
 * The list of other LES servers (`peers`, `add_peer`; statuses as seed 001 defines them: good,
 * stale — good before but not recently —, bad — not responding or invalid —, never — never
 * reached), with a stand-in probe and clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { AdminRpcError, PeerBook, type ProbeResult } from '../../../src/admin/index.js';

const enode = (port: number): string => {
  const id = Buffer.from(secp256k1.getPublicKey(secp256k1.utils.randomPrivateKey(), false).subarray(1)).toString('hex');
  return `enode://${id}@127.0.0.1:${port}`;
};

describe('PeerBook', () => {
  it('good, stale, bad and never, from probe results over time', async () => {
    let now = 1_000_000;
    const answers = new Map<string, ProbeResult>();
    const book = await PeerBook.open({ probe: async (e) => answers.get(e) ?? { ok: false, reached: false, error: 'ECONNREFUSED' }, now: () => now, probeEveryMs: 0, staleAfterMs: 60_000, badAfterTries: 3 });
    const [a, b, c, d] = [enode(30301), enode(30302), enode(30303), enode(30304)];
    answers.set(a, { ok: true, head: 10, version: 4, client: 'x' });
    answers.set(b, { ok: true, head: 11, version: 3, client: 'y' });
    answers.set(c, { ok: false, reached: true, error: 'genesis mismatch' });
    for (const e of [a, b, c, d]) book.add(e);
    await book.idle();
    const status = () => Object.fromEntries(book.list().map((r) => [r.port, r.status]));
    assert.deepEqual(status(), { 30301: 'good', 30302: 'good', 30303: 'bad', 30304: 'never' });
    assert.deepEqual(book.summary(), { bad: 1, good: 2, never: 1, stale: 0, total: 4 });
    now += 61_000;
    assert.equal(status()[30301], 'stale', 'no good probe for longer than staleAfterMs');
    answers.delete(b);
    await book.probe(book.list().find((r) => r.port === 30302)!.id);
    assert.equal(status()[30302], 'stale', 'good before, failing now');
    for (let i = 0; i < 2; i++) await book.probe(book.list().find((r) => r.port === 30302)!.id);
    assert.equal(status()[30302], 'bad', 'three failures in a row');
    await book.probe(book.list().find((r) => r.port === 30301)!.id);
    assert.equal(status()[30301], 'good');
    assert.equal(book.list().find((r) => r.port === 30301)?.head, 10);
    await book.close();
  });

  it('add_peer takes an enode once and refuses anything else naming the parameter', async () => {
    const book = await PeerBook.open({ probe: async () => ({ ok: false, reached: false, error: 'x' }), probeEveryMs: 0 });
    const e = enode(30305);
    assert.deepEqual(book.add(e), { enode: e, added: true });
    assert.deepEqual(book.add(e), { enode: e, added: false });
    for (const bad of ['enode://1234@127.0.0.1:1', 'http://x', 42]) {
      assert.throws(() => book.add(bad), (err: unknown) => err instanceof AdminRpcError && err.rpcCode === -32602 && err.field === 'enode');
    }
    assert.equal(book.list().length, 1);
    await book.close();
  });
});
