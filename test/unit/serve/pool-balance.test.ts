/**
 * Token balances of the client pool (les_addBalance and les_priorityClientInfo, seed 000): signed
 * additions capped to [0, 2^63 − 1] returning [before, after], a free-form meta tag, bad input
 * refused naming the field with nothing changed, concurrent additions never lost, balances kept
 * across a reopened LevelDB store, and the positive-balance ID range with its count limit.
 * Client IDs are keccak256 of the 64-byte public key (go-ethereum's enode.ID), computed here with
 * ethers' implementation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ethers } from 'ethers';
import { ManualClock } from '../../../src/flow/index.js';
import { ClientPool, PoolError, addressGroup, clientIdOf, parseClientId } from '../../../src/serve/index.js';
import { openLevelStore } from '../../../src/store/level.js';
import { openMemoryStore } from '../../../src/store/memory.js';

const MAX = 2n ** 63n - 1n;
const id = (n: number): string => n.toString(16).padStart(64, '0');
const newPool = (store = openMemoryStore()) => new ClientPool({ store, total: 160_000, min: 16_000, clock: new ManualClock(0), tickMs: 0 });

function refused(err: unknown, field: string): boolean {
  assert.ok(err instanceof PoolError, String(err));
  assert.equal(err.field, field);
  return true;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('client IDs and address groups', () => {
  it('a client ID is keccak256 of the public key; IDs are accepted with or without 0x, and as the public key itself', () => {
    const pub = `${'ab'.repeat(32)}${'cd'.repeat(32)}`;
    const expected = ethers.keccak256(`0x${pub}`).slice(2);
    assert.equal(clientIdOf(pub), expected);
    assert.equal(parseClientId(`0x${pub}`, 'id'), expected);
    assert.equal(parseClientId(`0x${'AB'.repeat(32)}`, 'id'), 'ab'.repeat(32));
    assert.equal(parseClientId('ab'.repeat(32), 'id'), 'ab'.repeat(32));
    for (const bad of ['0x1234', 'zz'.repeat(32), 42, null, `0x${'ab'.repeat(33)}`]) {
      assert.throws(() => parseClientId(bad, 'ids[3]'), (e) => refused(e, 'ids[3]'));
    }
  });

  it('groups are the IPv4 /24 and the IPv6 /64; an IPv4-mapped address is IPv4', () => {
    assert.equal(addressGroup('192.168.7.200'), '192.168.7.0/24');
    assert.equal(addressGroup('::ffff:192.168.7.1'), '192.168.7.0/24');
    assert.equal(addressGroup('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressGroup('2001:db8:0:0:ffff::1'), addressGroup('2001:db8::2'));
    assert.notEqual(addressGroup('2001:db8:0:1::1'), addressGroup('2001:db8::1'));
  });
});

describe('les_addBalance', () => {
  it('adds signed amounts, capped to [0, 2^63 − 1], and returns [before, after]', async () => {
    const pool = newPool();
    assert.deepEqual(await pool.addBalance(id(1), 1_000_000_000n, 'qwerty'), [0n, 1_000_000_000n]);
    assert.deepEqual(await pool.addBalance(id(1), -400n, 'qwerty'), [1_000_000_000n, 999_999_600n]);
    assert.deepEqual(await pool.addBalance(id(1), -2_000_000_000n, 'x'), [999_999_600n, 0n], 'not below zero');
    assert.deepEqual(await pool.addBalance(id(2), MAX, ''), [0n, MAX]);
    assert.deepEqual(await pool.addBalance(id(2), 1n, ''), [MAX, MAX], 'not above 2^63 − 1');
    assert.deepEqual(await pool.addBalance(id(2), -(2n ** 63n), ''), [MAX, 0n], 'the most negative int64 is accepted');
  });

  it('the meta tag is set when given and kept when not', async () => {
    const pool = newPool();
    await pool.addBalance(id(3), 5n, 'invoice 17');
    assert.equal(pool.clientInfo(id(3))['pricing/balanceMeta'], 'invoice 17');
    await pool.addBalance(id(3), 5n);
    assert.equal(pool.clientInfo(id(3))['pricing/balanceMeta'], 'invoice 17');
    assert.equal(pool.clientInfo(id(3))['pricing/balance'], 10n);
    assert.equal(pool.clientInfo(id(3)).isConnected, false);
    assert.equal(pool.clientInfo(id(3)).priority, true);
  });

  it('refuses amounts outside int64 and oversized tags, changing nothing', async () => {
    const pool = newPool();
    await pool.addBalance(id(4), 7n, 'a');
    await assert.rejects(pool.addBalance(id(4), 2n ** 63n, 'b'), (e) => refused(e, 'amount'));
    await assert.rejects(pool.addBalance(id(4), -(2n ** 63n) - 1n, 'b'), (e) => refused(e, 'amount'));
    await assert.rejects(pool.addBalance(id(4), 1n, 'x'.repeat(5000)), (e) => refused(e, 'meta'));
    assert.equal(pool.clientInfo(id(4))['pricing/balance'], 7n);
    assert.equal(pool.clientInfo(id(4))['pricing/balanceMeta'], 'a');
  });

  it('concurrent additions are applied in call order and none is lost', async () => {
    const pool = newPool();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.addBalance(id(5), BigInt(i + 1), `n${i}`)));
    let expected = 0n;
    for (const [i, [before, after]] of results.entries()) {
      assert.equal(before, expected);
      expected += BigInt(i + 1);
      assert.equal(after, expected);
    }
    assert.equal(expected, 200n * 201n / 2n);
    assert.equal(pool.clientInfo(id(5))['pricing/balanceMeta'], 'n199');
  });

  it('balances are in the LevelDB store once acknowledged: a reopened store has them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lesp-pool-'));
    dirs.push(dir);
    const store = await openLevelStore(dir);
    const pool = newPool(store.namespace('pool'));
    await pool.addBalance(id(6), 123_456_789n, 'kept');
    await pool.addBalance(id(7), 1n, '');
    await pool.addBalance(id(7), -1n, '');
    await store.close();
    const again = await openLevelStore(dir);
    const reopened = newPool(again.namespace('pool'));
    assert.equal(reopened.clientInfo(id(6))['pricing/balance'], 123_456_789n);
    assert.equal(reopened.clientInfo(id(6))['pricing/balanceMeta'], 'kept');
    assert.deepEqual((await reopened.positiveIds(id(0), undefined, 10)).ids, [id(6)], 'a zero balance with no tag is gone');
    await again.close();
  });
});

describe('positive-balance ID ranges (les_priorityClientInfo)', () => {
  it('lists IDs with a positive balance in [start, stop), stop undefined = to the end, and names the first one a count cut off', async () => {
    const pool = newPool();
    for (const n of [0x10, 0x20, 0x30, 0x40, 0x50]) await pool.addBalance(id(n), BigInt(n), '');
    await pool.addBalance(id(0x35), 1n, 'tag only after');
    await pool.addBalance(id(0x35), -1n, 'tag only after'); // zero balance, tag kept: not listed
    assert.deepEqual(await pool.positiveIds(id(0), undefined, 100), { ids: [0x10, 0x20, 0x30, 0x40, 0x50].map(id), more: undefined });
    assert.deepEqual(await pool.positiveIds(id(0x20), id(0x50), 100), { ids: [0x20, 0x30, 0x40].map(id), more: undefined }, 'start included, stop excluded');
    assert.deepEqual(await pool.positiveIds(id(0x11), undefined, 2), { ids: [id(0x20), id(0x30)], more: id(0x40) });
    assert.deepEqual(await pool.positiveIds(id(0x11), id(0x40), 2), { ids: [id(0x20), id(0x30)], more: undefined }, 'nothing more inside the range');
    assert.deepEqual(await pool.positiveIds(id(0), undefined, 0), { ids: [], more: id(0x10) });
  });
});
