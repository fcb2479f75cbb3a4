/**
 * Server capabilities from Status and announce updates, head ordering, the reliability score and
 * the RTT average.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Reliability,
  RttAverage,
  SCORE_RULES,
  applyAnnounceUpdates,
  isHigherHead,
  paramsFromStatus,
} from '../../../src/client/servers/index.js';
import { ProtocolError } from '../../../src/wire/errors.js';
import { encodeUint } from '../../../src/wire/rlp.js';
import { serverStatus } from '../net/fixtures.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('paramsFromStatus', () => {
  it('reads the serve keys and flow-control values of a server Status', () => {
    const p = paramsFromStatus(serverStatus({ serveRecentChain: 90_000, txRelay: false }));
    assert.deepEqual(p.caps, { serveHeaders: true, txRelay: false, serveChainSince: 0, serveRecentChain: 90_000, serveStateSince: 0, serveRecentState: 128, recentTxLookup: 0 });
    assert.equal(p.bl, 96_000_000);
    assert.equal(p.mrr, 16_000);
    assert.deepEqual(p.mrc[0], { code: 0x02, baseCost: 300_000, reqCost: 60_000 });
  });
});

describe('applyAnnounceUpdates', () => {
  const base = paramsFromStatus(serverStatus());

  it('applies known keys and ignores unknown ones, leaving the input untouched', () => {
    const next = applyAnnounceUpdates(base, [
      { key: 'serveStateSince', value: encodeUint(5_000) },
      { key: 'flowControl/BL', value: encodeUint(48_000_000) },
      { key: 'flowControl/MRC', value: [[encodeUint(0x06), encodeUint(0), encodeUint(2_000_000)]] },
      { key: 'someFutureKey', value: utf8('whatever') },
      { key: 'constructor', value: utf8('x') },
    ]);
    assert.equal(next.caps.serveStateSince, 5_000);
    assert.equal(next.bl, 48_000_000);
    assert.deepEqual(next.mrc, [{ code: 0x06, baseCost: 0, reqCost: 2_000_000 }]);
    assert.equal(base.caps.serveStateSince, 0);
    assert.equal(base.bl, 96_000_000);
  });

  it('refuses a malformed value of a known key and zero capacity with ProtocolError', () => {
    assert.throws(() => applyAnnounceUpdates(base, [{ key: 'serveChainSince', value: [] }]), ProtocolError);
    assert.throws(() => applyAnnounceUpdates(base, [{ key: 'flowControl/MRR', value: encodeUint(0) }]), (e: unknown) => e instanceof ProtocolError && e.field === 'flowControl/MRR');
  });
});

describe('isHigherHead', () => {
  it('orders by TD, then by number when TD is equal (post-merge)', () => {
    assert.equal(isHigherHead({ number: 5, td: 11n }, { number: 9, td: 10n }), true);
    assert.equal(isHigherHead({ number: 10, td: 10n }, { number: 9, td: 10n }), true);
    assert.equal(isHigherHead({ number: 9, td: 10n }, { number: 9, td: 10n }), false);
    assert.equal(isHigherHead({ number: 99, td: 9n }, { number: 9, td: 10n }), false);
  });
});

describe('Reliability', () => {
  it('starts at 1, falls on invalid answers more than on timeouts or StopMsg, recovers on valid answers', () => {
    const r = new Reliability();
    assert.equal(r.value, 1);
    r.record('stop');
    assert.equal(r.value, SCORE_RULES.stop);
    const a = new Reliability();
    a.record('invalid');
    const b = new Reliability();
    b.record('timeout');
    assert.ok(a.value < b.value && b.value < r.value);
    const before = a.value;
    a.record('valid');
    assert.ok(a.value > before && a.value < 1);
  });
});

describe('RttAverage', () => {
  it('replaces the initial guess with the first sample, then moves a fifth of the way per sample', () => {
    const rtt = new RttAverage(200);
    assert.equal(rtt.value, 200);
    rtt.sample(10);
    assert.equal(rtt.value, 10);
    rtt.sample(60);
    assert.equal(rtt.value, 20);
    rtt.sample(Number.NaN);
    assert.equal(rtt.value, 20);
    assert.equal(rtt.samples, 2);
  });
});
