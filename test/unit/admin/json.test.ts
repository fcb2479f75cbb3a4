/**
 * JSON of the management API: integers beyond 2^53 − 1 (balances reach 2^63 − 1) are read as
 * bigints and written as plain JSON integers, exactly; everything else reads as JSON.parse reads
 * it; malformed text is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonSyntaxError, parseJson, stringifyJson } from '../../../src/admin/index.js';

describe('lossless JSON', () => {
  it('reads integers beyond 2^53 − 1 as bigints, the rest as JSON.parse does', () => {
    const text = '{"a":9223372036854775807,"b":-9223372036854775808,"c":9007199254740991,"d":1.5e3,"e":"9223372036854775807","f":[true,false,null,{"g":"\\u00e9\\n"}],"h":12345678901234567890.5}';
    const v = parseJson(text) as Record<string, unknown>;
    assert.equal(v.a, 2n ** 63n - 1n);
    assert.equal(v.b, -(2n ** 63n));
    assert.equal(v.c, Number.MAX_SAFE_INTEGER);
    assert.equal(v.d, 1500);
    assert.equal(v.e, '9223372036854775807');
    assert.deepEqual(v.f, [true, false, null, { g: 'é\n' }]);
    assert.equal(typeof v.h, 'number', 'a fraction is never a bigint');
    const plain = JSON.parse('{"x":[1,2,{"y":"z"}],"w":-0.25}') as unknown;
    assert.deepEqual(parseJson('{"x":[1,2,{"y":"z"}],"w":-0.25}'), plain);
  });

  it('writes bigints as integer literals', () => {
    const text = stringifyJson({ before: 2n ** 63n - 1n, after: 0n, list: [1n, 'x'], nested: { s: '\u0000big0\u0000' } });
    assert.equal(text, '{"before":9223372036854775807,"after":0,"list":[1,"x"],"nested":{"s":"\\u0000big0\\u0000"}}');
    assert.deepEqual(parseJson(text), { before: 2n ** 63n - 1n, after: 0, list: [1, 'x'], nested: { s: '\u0000big0\u0000' } });
  });

  it('refuses malformed text', () => {
    for (const bad of ['', '{', '{"a":}', '[1,]', '01', '"\\x"', 'nul', '{"a":1} x', '[' .repeat(100) + ']'.repeat(100), "{'a':1}"]) {
      assert.throws(() => parseJson(bad), JsonSyntaxError, bad);
    }
  });

  it('a key named __proto__ is a plain key', () => {
    const v = parseJson('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(v), ['__proto__']);
  });
});
