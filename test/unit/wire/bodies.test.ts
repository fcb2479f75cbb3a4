import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chain, Common, Hardfork } from '@ethereumjs/common';
import { RLP } from '@ethereumjs/rlp';
import { FeeMarketEIP1559Transaction, LegacyTransaction } from '@ethereumjs/tx';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import {
  type BlockBodies,
  type GetBlockBodies,
  decodeBlockBodies,
  decodeGetBlockBodies,
  encodeBlockBodies,
  encodeGetBlockBodies,
} from '../../../src/wire/bodies.js';
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

/** The signed example transaction of EIP-155 (nonce 9, 1 ether to 0x3535…, key 0x4646…). */
const EIP155_TX = hex(
  'f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
);
const EIP155_TX_HASH = hex('33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788');
const common = new Common({ chain: Chain.Mainnet, hardfork: Hardfork.London });
/** An EIP-1559 transaction signed by @ethereumjs/tx: its canonical form is 0x02 ‖ rlp([...]). */
const typedTx = FeeMarketEIP1559Transaction.fromTxData(
  { chainId: 1n, nonce: 1n, maxPriorityFeePerGas: 1n, maxFeePerGas: 10n, gasLimit: 21000n, to: '0x3535353535353535353535353535353535353535', value: 1n },
  { common },
).sign(hash(0x46));
const uncleFields = Array.from({ length: 15 }, (_, i) => new Uint8Array(i % 4));
/** EIP-4895 order: [index, validatorIndex, address, amount (gwei)]. */
const withdrawalFields = [hex('01'), hex('0100'), new Uint8Array(20).fill(0xaa), hex('3b9aca00')];

describe('GetBlockBodies', () => {
  it('matches the spec layout [reqID, [hash, ...]]', () => {
    const wire = enc([3, [hash(1), hash(2)]]);
    const msg: GetBlockBodies = { reqID: 3n, hashes: [hash(1), hash(2)] };
    assert.deepEqual(encodeGetBlockBodies(msg), wire);
    assert.deepEqual(decodeGetBlockBodies(wire), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['hashes that are bytes', [3, hash(1)], 'MALFORMED', 'hashes'],
    ['a hash of 31 bytes', [3, [hash(1), new Uint8Array(31)]], 'MALFORMED', 'hashes[1]'],
    ['a hash that is a list', [3, [[hash(1)]]], 'MALFORMED', 'hashes[0]'],
    ['33 hashes', [3, Array.from({ length: 33 }, () => hash(1))], 'LIMIT', 'hashes'],
    ['a reqID that is a list', [[3], [hash(1)]], 'MALFORMED', 'reqID'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeGetBlockBodies(enc(value)), code, field));
  }

  it('rejects truncated bytes and refuses to encode 33 hashes', () => {
    rejects(() => decodeGetBlockBodies(enc([3, [hash(1)]]).subarray(0, 20)), 'MALFORMED', 'payload');
    rejects(() => encodeGetBlockBodies({ reqID: 1n, hashes: Array.from({ length: 33 }, () => hash(1)) }), 'LIMIT', 'hashes');
  });
});

describe('BlockBodies', () => {
  // Legacy tx: the RLP list itself; typed tx: a byte string holding type ‖ payload (eth wire rules).
  const wire = enc([
    11,
    5000,
    [
      [[RLP.decode(EIP155_TX), typedTx.serialize()], [uncleFields], [withdrawalFields]],
      [[], []],
    ],
  ]);

  it('holds each transaction in canonical form: legacy = its RLP, typed = type ‖ payload', () => {
    const msg = decodeBlockBodies(wire);
    const [tx0, tx1] = msg.bodies[0]?.transactions ?? [];
    assert.deepEqual(tx0, EIP155_TX);
    assert.deepEqual(keccak256(tx0 as Uint8Array), EIP155_TX_HASH);
    assert.equal(LegacyTransaction.fromSerializedTx(tx0 as Uint8Array).getSenderAddress().toString(), '0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f');
    assert.deepEqual(tx1, typedTx.serialize());
    assert.deepEqual(keccak256(tx1 as Uint8Array), typedTx.hash());
  });

  it('keeps uncles and withdrawals as the encodings of their lists, and no withdrawals key before Shanghai', () => {
    const msg = decodeBlockBodies(wire);
    assert.deepEqual(msg.bodies[0]?.uncles, [enc(uncleFields)]);
    assert.deepEqual(msg.bodies[0]?.withdrawals, [enc(withdrawalFields)]);
    assert.deepEqual(msg.bodies[1], { transactions: [], uncles: [] });
  });

  it('encodes back to the wire form (legacy tx as a list, typed tx as a byte string)', () => {
    const msg: BlockBodies = {
      reqID: 11n,
      bv: 5000,
      bodies: [
        { transactions: [EIP155_TX, typedTx.serialize()], uncles: [enc(uncleFields)], withdrawals: [enc(withdrawalFields)] },
        { transactions: [], uncles: [] },
      ],
    };
    assert.deepEqual(encodeBlockBodies(msg), wire);
    assert.deepEqual(decodeBlockBodies(encodeBlockBodies(msg)), msg);
  });

  const body = (txs: unknown, uncles: unknown = [], ...rest: unknown[]) => [11, 1, [[txs, uncles, ...rest]]];
  const bad: Array<[string, unknown, string, string]> = [
    ['a body of 1 item', [11, 1, [[[]]]], 'MALFORMED', 'bodies[0]'],
    ['a body of 4 items', body([], [], [], []), 'MALFORMED', 'bodies[0]'],
    ['a body that is bytes', [11, 1, [hex('c0')]], 'MALFORMED', 'bodies[0]'],
    ['transactions that are bytes', body(hex('00')), 'MALFORMED', 'bodies[0].transactions'],
    ['a typed tx with type byte 0x80', body([hex('80aa')]), 'MALFORMED', 'bodies[0].transactions[0]'],
    ['an empty typed tx', body([new Uint8Array(0)]), 'MALFORMED', 'bodies[0].transactions[0]'],
    ['an uncle of 3 fields', body([], [[hex('01'), hex('02'), hex('03')]]), 'MALFORMED', 'bodies[0].uncles[0]'],
    ['17 uncles', body([], Array.from({ length: 17 }, () => uncleFields)), 'LIMIT', 'bodies[0].uncles'],
    ['a withdrawal of 3 fields', body([], [], [withdrawalFields.slice(0, 3)]), 'MALFORMED', 'bodies[0].withdrawals[0]'],
    ['a withdrawal field that is a list', body([], [], [[hex('01'), hex('02'), [], hex('03')]]), 'MALFORMED', 'bodies[0].withdrawals[0][2]'],
    ['withdrawals that are bytes', body([], [], hex('01')), 'MALFORMED', 'bodies[0].withdrawals'],
    ['33 bodies', [11, 1, Array.from({ length: 33 }, () => [[], []])], 'LIMIT', 'bodies'],
    ['a BV of 9 bytes', [11, hex('010203040506070809'), []], 'MALFORMED', 'bv'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeBlockBodies(enc(value)), code, field));
  }

  it('rejects truncated bytes', () => rejects(() => decodeBlockBodies(wire.subarray(0, wire.length - 3)), 'MALFORMED', 'payload'));

  it('refuses to encode a transaction that is neither an RLP list nor a typed envelope', () => {
    const one = (tx: Uint8Array): BlockBodies => ({ reqID: 1n, bv: 0, bodies: [{ transactions: [tx], uncles: [] }] });
    rejects(() => encodeBlockBodies(one(hex('80'))), 'MALFORMED', 'bodies[0].transactions[0]');
    rejects(() => encodeBlockBodies(one(EIP155_TX.subarray(0, 50))), 'MALFORMED', 'bodies[0].transactions[0]');
  });
});
