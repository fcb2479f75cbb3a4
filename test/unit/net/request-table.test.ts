import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reply } from '../../../src/net/envelope.js';
import { PeerClosedError, RequestTimeoutError } from '../../../src/net/errors.js';
import { RequestTable } from '../../../src/net/request-table.js';

// Codes from the LES spec: GetBlockHeaders 0x02 → BlockHeaders 0x03, GetTxStatus 0x14 → TxStatus 0x15.
const GET_HEADERS = 0x02;
const HEADERS = 0x03;
const GET_TX_STATUS = 0x14;
const TX_STATUS = 0x15;

const reply = (code: number, reqID: bigint): Reply => ({ code, reqID, bv: 5, payload: new Uint8Array(), item: [], data: [] });

describe('RequestTable', () => {
  it('hands out distinct reqIDs', () => {
    const t = new RequestTable();
    const ids = new Set(Array.from({ length: 1000 }, () => t.nextReqID()));
    assert.equal(ids.size, 1000);
  });

  it('matches replies by reqID, whatever their order', async () => {
    const t = new RequestTable();
    const a = t.nextReqID();
    const b = t.nextReqID();
    const pa = t.wait(a, GET_HEADERS, 1000);
    const pb = t.wait(b, GET_TX_STATUS, 1000);
    assert.equal(t.deliver(reply(TX_STATUS, b)), 'matched');
    assert.equal(t.deliver(reply(HEADERS, a)), 'matched');
    assert.equal((await pa).reqID, a);
    assert.equal((await pb).code, TX_STATUS);
    assert.equal(t.size, 0);
  });

  it('reports an unknown reqID without touching pending requests', async () => {
    const t = new RequestTable();
    const a = t.nextReqID();
    const pa = t.wait(a, GET_HEADERS, 1000);
    assert.equal(t.deliver(reply(HEADERS, 999n)), 'unknown');
    assert.equal(t.size, 1);
    t.deliver(reply(HEADERS, a));
    await pa;
  });

  it('reports a reply with the wrong code and keeps the request pending', async () => {
    const t = new RequestTable();
    const a = t.nextReqID();
    const pa = t.wait(a, GET_HEADERS, 1000);
    assert.equal(t.deliver(reply(TX_STATUS, a)), 'wrong-code');
    assert.equal(t.size, 1);
    assert.equal(t.deliver(reply(HEADERS, a)), 'matched');
    assert.equal((await pa).code, HEADERS);
  });

  it('times out with a typed error naming the request, then calls a reply late', async () => {
    let timeouts = 0;
    const t = new RequestTable({ onTimeout: () => timeouts++ });
    const a = t.nextReqID();
    await assert.rejects(t.wait(a, GET_HEADERS, 20), (err: unknown) => {
      assert.ok(err instanceof RequestTimeoutError);
      assert.equal(err.code, 'REQUEST_TIMEOUT');
      assert.equal(err.reqID, a);
      assert.equal(err.requestCode, GET_HEADERS);
      return true;
    });
    assert.equal(timeouts, 1);
    assert.equal(t.deliver(reply(HEADERS, a)), 'late');
  });

  it('rejects everything pending, and later waits, when closed', async () => {
    const t = new RequestTable();
    const ps = [t.wait(t.nextReqID(), GET_HEADERS, 10_000), t.wait(t.nextReqID(), GET_TX_STATUS, 10_000)];
    const closed = new PeerClosedError(8, 'remote');
    t.rejectAll(closed);
    for (const p of ps) await assert.rejects(p, (e: unknown) => e === closed);
    assert.equal(t.size, 0);
    await assert.rejects(t.wait(t.nextReqID(), GET_HEADERS, 10_000), (e: unknown) => e === closed);
  });

  it('cancels one request with the given error', async () => {
    const t = new RequestTable();
    const a = t.nextReqID();
    const p = t.wait(a, GET_HEADERS, 10_000);
    const boom = new Error('send failed');
    t.cancel(a, boom);
    await assert.rejects(p, (e: unknown) => e === boom);
    assert.equal(t.deliver(reply(HEADERS, a)), 'unknown');
  });

  it('refuses a non-request code and a reqID already pending', async () => {
    const t = new RequestTable();
    await assert.rejects(t.wait(1n, HEADERS, 100), RangeError);
    const p = t.wait(2n, GET_HEADERS, 10_000);
    await assert.rejects(t.wait(2n, GET_HEADERS, 100), RangeError);
    t.deliver(reply(HEADERS, 2n));
    await p;
  });
});
