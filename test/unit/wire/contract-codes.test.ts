import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import {
  type ContractCodes,
  type GetContractCodes,
  decodeContractCodes,
  decodeGetContractCodes,
  encodeContractCodes,
  encodeGetContractCodes,
} from '../../../src/wire/contract-codes.js';
import { ProtocolError } from '../../../src/wire/errors.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const enc = (x: unknown) => RLP.encode(x as never);
const hash = (b: number) => new Uint8Array(32).fill(b);

function rejects(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

describe('GetContractCodes', () => {
  it('matches the spec layout [reqID, [[blockhash, key], ...]]', () => {
    const wire = enc([2, [[hash(1), hash(2)], [hash(1), hash(3)]]]);
    const msg: GetContractCodes = { reqID: 2n, reqs: [{ blockHash: hash(1), accountKey: hash(2) }, { blockHash: hash(1), accountKey: hash(3) }] };
    assert.deepEqual(encodeGetContractCodes(msg), wire);
    assert.deepEqual(decodeGetContractCodes(wire), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['65 requests', [2, Array.from({ length: 65 }, () => [hash(1), hash(2)])], 'LIMIT', 'reqs'],
    ['a request of 4 items', [2, [[hash(1), hash(2), new Uint8Array(20), '']]], 'LIMIT', 'reqs[0]'],
    ['an address preimage of 32 bytes', [2, [[hash(1), hash(2), hash(3)]]], 'MALFORMED', 'reqs[0].address'],
    ['a request that is bytes', [2, [hash(1)]], 'MALFORMED', 'reqs[0]'],
    ['an account key of 31 bytes', [2, [[hash(1), new Uint8Array(31)]]], 'MALFORMED', 'reqs[0].accountKey'],
    ['a block hash that is a list', [2, [[[], hash(2)]]], 'MALFORMED', 'reqs[0].blockHash'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeGetContractCodes(enc(value)), code, field));
  }

  it('rejects truncated bytes and refuses to encode 65 requests', () => {
    rejects(() => decodeGetContractCodes(enc([2, [[hash(1), hash(2)]]]).subarray(0, 40)), 'MALFORMED', 'payload');
    const r = { blockHash: hash(1), accountKey: hash(2) };
    rejects(() => encodeGetContractCodes({ reqID: 1n, reqs: Array.from({ length: 65 }, () => r) }), 'LIMIT', 'reqs');
  });
});

describe('ContractCodes', () => {
  // Runtime code of a contract that returns 42 (PUSH1 2a PUSH1 0 MSTORE PUSH1 20 PUSH1 0 RETURN), and an empty code.
  const code = hex('602a60005260206000f3');

  it('matches the spec layout [reqID, BV, [value, ...]]', () => {
    const wire = enc([2, 99, [code, '']]);
    const msg: ContractCodes = { reqID: 2n, bv: 99, codes: [code, new Uint8Array(0)] };
    assert.deepEqual(encodeContractCodes(msg), wire);
    assert.deepEqual(decodeContractCodes(wire), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['a code that is a list', [2, 99, [[code]]], 'MALFORMED', 'codes[0]'],
    ['65 codes', [2, 99, Array.from({ length: 65 }, () => code)], 'LIMIT', 'codes'],
    ['codes that are bytes', [2, 99, code], 'MALFORMED', 'codes'],
    ['a missing BV', [2, [code]], 'MALFORMED', 'message'],
  ];
  for (const [what, value, code_, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeContractCodes(enc(value)), code_, field));
  }

  it('rejects truncated bytes', () => rejects(() => decodeContractCodes(enc([2, 99, [code]]).subarray(0, 8)), 'MALFORMED', 'payload'));
});
