import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorText, parsePayload, resultText } from '../../../src/proxy/jsonrpc.js';
import { rawIdTexts } from '../../../src/proxy/raw-ids.js';

const call = (id: string) => `{"jsonrpc":"2.0","id":${id},"method":"eth_blockNumber","params":[]}`;

function single(text: string) {
  const p = parsePayload(text, 100);
  assert.equal(p.kind, 'single');
  return (p as Extract<typeof p, { kind: 'single' }>).entry;
}

describe('proxy jsonrpc envelope', () => {
  it('echoes ids of every allowed type as the caller wrote them', () => {
    // JSON-RPC 2.0 §4: id is a String, Number or Null; a double cannot hold these numbers unchanged.
    for (const id of ['1', '0', '-7', '"abc"', '""', '"\\u00e9\\"x"', 'null', '12345678901234567890', '1.10', '-0', '1e300', '0.1e-3']) {
      const e = single(call(id));
      assert.equal(e.kind, 'call', id);
      const idText = e.kind === 'call' ? e.call.idText : undefined;
      // Numbers come back character for character; strings as the same string value.
      if (id.startsWith('"')) assert.equal(JSON.parse(idText as string), JSON.parse(id), id);
      else assert.equal(idText, id, id);
    }
  });

  it('treats 1e400 (not a finite number) as a bad id', () => {
    const e = single(call('1e400'));
    assert.equal(e.kind, 'invalid');
    assert.equal(e.kind === 'invalid' && e.error.code, -32600);
  });

  it('a request without id is a notification', () => {
    const e = single('{"jsonrpc":"2.0","method":"eth_blockNumber"}');
    assert.equal(e.kind === 'call' && e.call.idText, undefined);
  });

  it('refuses wrong versions, missing or non-string methods, bad ids and scalar params with -32600', () => {
    const cases: Array<[string, string]> = [
      ['{"jsonrpc":"1.0","id":1,"method":"m"}', '1'],
      ['{"id":1,"method":"m"}', '1'],
      ['{"jsonrpc":2.0,"id":1,"method":"m"}', '1'],
      ['{"jsonrpc":"2.0","id":1}', '1'],
      ['{"jsonrpc":"2.0","id":1,"method":5}', '1'],
      ['{"jsonrpc":"2.0","id":1,"method":""}', '1'],
      ['{"jsonrpc":"2.0","id":{"a":1},"method":"m"}', 'null'],
      ['{"jsonrpc":"2.0","id":[1],"method":"m"}', 'null'],
      ['{"jsonrpc":"2.0","id":true,"method":"m"}', 'null'],
      ['{"jsonrpc":"2.0","id":1,"method":"m","params":"bar"}', '1'],
      ['{"jsonrpc":"2.0","id":1,"method":"m","params":null}', '1'],
      ['"just a string"', 'null'],
      ['42', 'null'],
      ['null', 'null'],
    ];
    for (const [text, idText] of cases) {
      const e = single(text);
      assert.equal(e.kind, 'invalid', text);
      assert.equal(e.kind === 'invalid' && e.error.code, -32600, text);
      assert.equal(e.kind === 'invalid' && e.idText, idText, text);
    }
  });

  it('malformed JSON is a parse error (-32700)', () => {
    for (const text of ['{', '', '{"jsonrpc":"2.0",}', 'nul', '[1,2', '\u0000']) {
      const p = parsePayload(text, 100);
      assert.equal(p.kind, 'error', JSON.stringify(text));
      assert.equal(p.kind === 'error' && p.error.rpcCode, -32700);
    }
  });

  it('an empty batch and a batch over the limit are one -32600 error', () => {
    const empty = parsePayload('[]', 100);
    assert.equal(empty.kind === 'error' && empty.error.rpcCode, -32600);
    const big = parsePayload(`[${Array.from({ length: 101 }, (_, i) => call(String(i))).join(',')}]`, 100);
    assert.equal(big.kind === 'error' && big.error.code, 'BATCH_TOO_LARGE');
    const ok = parsePayload(`[${Array.from({ length: 100 }, (_, i) => call(String(i))).join(',')}]`, 100);
    assert.equal(ok.kind === 'batch' && ok.entries.length, 100);
  });

  it('a batch keeps its order and answers each bad element on its own (JSON-RPC 2.0 §7 examples)', () => {
    const p = parsePayload(`[1, ${call('"a"')}, {"foo":"boo"}, ${call('12345678901234567890')}]`, 100);
    assert.equal(p.kind, 'batch');
    const entries = p.kind === 'batch' ? p.entries : [];
    assert.deepEqual(
      entries.map((e) => [e.kind, e.kind === 'call' ? e.call.idText : e.idText]),
      [['invalid', 'null'], ['call', '"a"'], ['invalid', 'null'], ['call', '12345678901234567890']],
    );
  });

  it('raw id scanner: last id wins, nested ids and ids inside strings are ignored', () => {
    const text = '[{"params":[{"id":99}],"x":"\\"id\\":5","id":1.50,"id":2.50}, {"id" : 7.0 }, 3]';
    assert.deepEqual([...rawIdTexts(text)], [[0, '2.50'], [1, '7.0']]);
    assert.deepEqual([...rawIdTexts('{"a":{"id":1},"id":-0.0}')], [[0, '-0.0']]);
  });

  it('the raw id scanner survives deep nesting without recursion', () => {
    const deep = `{"params":${'['.repeat(200_000)}${']'.repeat(200_000)},"id":1.5}`;
    assert.deepEqual([...rawIdTexts(deep)], [[0, '1.5']]);
  });

  it('writes responses with the raw id; undefined results become null', () => {
    assert.equal(resultText('1.10', undefined), '{"jsonrpc":"2.0","id":1.10,"result":null}');
    assert.deepEqual(JSON.parse(resultText('"x"', { a: [1] })), { jsonrpc: '2.0', id: 'x', result: { a: [1] } });
    assert.throws(() => resultText('1', 1n));
    // Data that cannot be written is left out, the error itself is kept.
    assert.deepEqual(JSON.parse(errorText('1', { code: 3, message: 'm', data: 1n })), { jsonrpc: '2.0', id: 1, error: { code: 3, message: 'm' } });
  });

  it('params nested deeper than 64 levels are -32602 naming params, with the id; 64 levels are accepted', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    for (const depth of [65, 5000, 9990]) {
      const e = single(`{"jsonrpc":"2.0","id":7,"method":"eth_call","params":${nested(depth)}}`);
      assert.equal(e.kind, 'invalid', String(depth));
      assert.equal(e.kind === 'invalid' && e.idText, '7');
      assert.deepEqual(e.kind === 'invalid' && e.error, { code: -32602, message: 'invalid argument params: nested deeper than 64 levels', data: { code: 'INVALID_PARAMS', field: 'params' } });
    }
    const deepObject = `{"jsonrpc":"2.0","id":8,"method":"eth_call","params":[${'{"a":'.repeat(100)}1${'}'.repeat(100)}]}`;
    assert.equal(single(deepObject).kind, 'invalid');
    assert.equal(single(`{"jsonrpc":"2.0","id":7,"method":"eth_call","params":${nested(64)}}`).kind, 'call');
    // In a batch only the deep element is refused.
    const p = parsePayload(`[${call('1')},{"jsonrpc":"2.0","id":2,"method":"x","params":${nested(100)}}]`, 100);
    assert.deepEqual(p.kind === 'batch' && p.entries.map((e) => e.kind), ['call', 'invalid']);
  });

  it('a body nested deeper than 10,000 levels is a parse error before it is parsed, wherever the nesting is', () => {
    for (const text of [
      `{"jsonrpc":"2.0","id":1,"method":"m","params":${'['.repeat(10_001)}${']'.repeat(10_001)}}`,
      `{"jsonrpc":"2.0","id":1,"method":"m","x":${'{"a":'.repeat(2_500_000)}1${'}'.repeat(2_500_000)}}`,
      '['.repeat(3_000_000),
    ]) {
      const started = performance.now();
      const p = parsePayload(text, 100);
      assert.equal(p.kind === 'error' && p.error.rpcCode, -32700);
      assert.ok(performance.now() - started < 2000, 'refused without parsing');
    }
    // Brackets inside strings are not nesting.
    assert.equal(single(`{"jsonrpc":"2.0","id":1,"method":"m","params":["${'['.repeat(20_000)}\\\"${'{'.repeat(20_000)}"]}`).kind, 'call');
  });

  it('a body that is not valid UTF-8 is a parse error: bad bytes in an id are never echoed as U+FFFD', () => {
    const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]]) {
      const p = parsePayload(bytes('{"jsonrpc":"2.0","id":"a', bad, 'b","method":"eth_blockNumber"}'), 100);
      assert.equal(p.kind, 'error', JSON.stringify(bad));
      assert.equal(p.kind === 'error' && p.error.rpcCode, -32700);
    }
    // Valid multi-byte UTF-8 is echoed exactly.
    const ok = parsePayload(Buffer.from('{"jsonrpc":"2.0","id":"é✓𝄞","method":"eth_blockNumber"}'), 100);
    assert.equal(ok.kind === 'single' && ok.entry.kind === 'call' && ok.entry.call.idText, '"é✓𝄞"');
  });
});
