// The one log filter: a subscription's filter param parsed like eth_getLogs's, and JSON logs
// matched with the same rule as verified logs (go-ethereum's semantics).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParamsError } from '../../../src/client/methods/errors.js';
import { logJsonMatches, parseSubscriptionFilter } from '../../../src/client/methods/log-filter.js';

const A = `0x${'aa'.repeat(20)}`;
const B = `0x${'bb'.repeat(20)}`;
const T = (b: string) => `0x${b.repeat(32)}`;
const log = (address: string, topics: string[]) => ({ address, topics, data: '0x' });
const parse = (v: unknown) => parseSubscriptionFilter(v, 'filter');

describe('log filter (subscriptions)', () => {
  it('matches address (one or any of a list, case-insensitive)', () => {
    assert.equal(logJsonMatches(parse({ address: A }), log(A.toUpperCase().replace('0X', '0x'), [])), true);
    assert.equal(logJsonMatches(parse({ address: A }), log(B, [])), false);
    assert.equal(logJsonMatches(parse({ address: [A, B] }), log(B, [])), true);
    assert.equal(logJsonMatches(parse({}), log(B, [T('01')])), true);
    assert.equal(logJsonMatches(parse(undefined), log(B, [])), true);
  });

  it('matches topics by position as go-ethereum does (null = any, list = any of, too few topics = no match)', () => {
    const l = log(A, [T('01'), T('02')]);
    const m = (topics: unknown) => logJsonMatches(parse({ topics }), l);
    assert.equal(m([T('01')]), true);
    assert.equal(m([T('02')]), false);
    assert.equal(m([null, T('02')]), true);
    assert.equal(m([[T('03'), T('01')], [T('02')]]), true);
    assert.equal(m([[T('03')], null]), false);
    assert.equal(m([[], T('02')]), true);
    assert.equal(m([[null, T('09')], T('02')]), true);
    assert.equal(m([null, null, null]), false);
    assert.equal(m([T('01').toUpperCase().replace('0X', '0x')]), true);
  });

  it('a malformed log from the source matches nothing', () => {
    assert.equal(logJsonMatches(parse({}), { address: '0x12', topics: [] }), false);
    assert.equal(logJsonMatches(parse({}), { address: A, topics: ['0x12'] }), false);
    assert.equal(logJsonMatches(parse({}), { address: A }), false);
  });

  it('refuses malformed filters with -32602 naming the field', () => {
    const bad: Array<[unknown, string]> = [
      ['x', 'filter'],
      [[A], 'filter'],
      [{ address: '0x1234' }, 'filter.address'],
      [{ address: [A, 5] }, 'filter.address[1]'],
      [{ topics: T('01') }, 'filter.topics'],
      [{ topics: [null, null, null, null, null] }, 'filter.topics'],
      [{ topics: ['0x12'] }, 'filter.topics[0]'],
      [{ topics: [[T('01'), 7]] }, 'filter.topics[0][1]'],
      [{ blockHash: T('01') }, 'filter.blockHash'],
      [{ nope: 1 }, 'filter.nope'],
      [{ address: Array.from({ length: 1001 }, () => A) }, 'filter.address'],
    ];
    for (const [v, field] of bad) {
      assert.throws(() => parse(v), (e: unknown) => e instanceof InvalidParamsError && e.field === field, JSON.stringify(v).slice(0, 60));
    }
  });
});
