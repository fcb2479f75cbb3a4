import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import {
  type BlockHeader,
  decodeHeader,
  encodeHeader,
  headerFromRpc,
  headerHash,
  verifyHeaderHash,
} from '../../../src/verify/index.js';
import { assertRejects, flipByte, hex, toHex } from './helpers.js';

// Mainnet genesis (Frontier shape, 15 fields): the well-known constants of go-ethereum's
// DefaultGenesisBlock; its hash is the mainnet genesis hash every client hard-codes.
const GENESIS_HASH = '0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3';
const genesis: BlockHeader = {
  parentHash: new Uint8Array(32),
  uncleHash: hex('0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'),
  coinbase: new Uint8Array(20),
  stateRoot: hex('0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544'),
  transactionsRoot: hex('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'),
  receiptsRoot: hex('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'),
  logsBloom: new Uint8Array(256),
  difficulty: 0x400000000n,
  number: 0,
  gasLimit: 5000n,
  gasUsed: 0n,
  timestamp: 0,
  extraData: hex('0x11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa'),
  mixHash: new Uint8Array(32),
  nonce: hex('0x0000000000000042'),
};

// Mainnet block 18,722,845 (Shanghai shape, 17 fields), as an eth_getBlockByNumber answer quoted
// in dfinity/evm-rpc-canister tests/tests.rs (eth_get_block_by_number_should_succeed).
const SHANGHAI_HASH = '0xc3674be7b9d95580d7f23c03d32e946f2b453679ee6505e3a778f003c5a3cfae';
const shanghaiJson = {
  baseFeePerGas: '0xd7232aa34',
  difficulty: '0x0',
  extraData: '0x546974616e2028746974616e6275696c6465722e78797a29',
  gasLimit: '0x1c9c380',
  gasUsed: '0xa768c4',
  hash: SHANGHAI_HASH,
  logsBloom:
    '0x3e6b8420e1a13038902c24d6c2a9720a7ad4860cdc870cd5c0490011e43631134f608935bd83171247407da2c15d85014f9984608c03684c74aad48b20bc24022134cdca5f2e9d2dee3b502a8ccd39eff8040b1d96601c460e119c408c620b44fa14053013220847045556ea70484e67ec012c322830cf56ef75e09bd0db28a00f238adfa587c9f80d7e30d3aba2863e63a5cad78954555966b1055a4936643366a0bb0b1bac68d0e6267fc5bf8304d404b0c69041125219aa70562e6a5a6362331a414a96d0716990a10161b87dd9568046a742d4280014975e232b6001a0360970e569d54404b27807d7a44c949ac507879d9d41ec8842122da6772101bc8b',
  miner: '0x388c818ca8b9251b393131c08a736a67ccb19297',
  mixHash: '0x516a58424d4883a3614da00a9c6f18cd5cd54335a08388229a993a8ecf05042f',
  nonce: '0x0000000000000000',
  number: '0x11db01d',
  parentHash: '0x43325027f6adf9befb223f8ae80db057daddcd7b48e41f60cd94bfa8877181ae',
  receiptsRoot: '0x66934c3fd9c547036fe0e56ad01bc43c84b170be7c4030a86805ddcdab149929',
  sha3Uncles: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
  size: '0xcd35',
  stateRoot: '0x13552447dd62f11ad885f21a583c4fa34144efe923c7e35fb018d6710f06b2b6',
  timestamp: '0x656f96f3',
  withdrawalsRoot: '0xecae44b2c53871003c5cc75285995764034c9b5978a904229d36c1280b141d48',
  transactionsRoot: '0x93a1ad3d067009259b508cc95fde63b5efd7e9d8b55754314c173fdde8c0826a',
};

/** The genesis RLP as a list of fields, to corrupt one field at a time. */
const genesisFields = () => RLP.decode(encodeHeader(genesis)) as Uint8Array[];

describe('header: real mainnet headers', () => {
  it('the mainnet genesis header (15 fields) hashes to the mainnet genesis hash', () => {
    assert.equal(toHex(headerHash(genesis)), GENESIS_HASH);
    const rlp = encodeHeader(genesis);
    assert.equal(toHex(headerHash(rlp)), GENESIS_HASH);
    assert.deepEqual(verifyHeaderHash(rlp, hex(GENESIS_HASH)), genesis);
  });

  it('mainnet block 18722845 (Shanghai, 17 fields) rebuilt from JSON hashes to its block hash', () => {
    const h = headerFromRpc(shanghaiJson);
    assert.equal(h.number, 18722845);
    assert.equal(h.baseFeePerGas, 57750497844n);
    assert.equal(toHex(headerHash(h)), SHANGHAI_HASH);
    const rlp = encodeHeader(h);
    assert.equal((RLP.decode(rlp) as unknown[]).length, 17);
    assert.deepEqual(decodeHeader(rlp), h);
  });

  it('rejects a header RLP with one byte changed (HASH_MISMATCH)', () => {
    const rlp = encodeHeader(genesis);
    const changed = flipByte(rlp, rlp.length - 20); // inside extraData / mixHash
    assertRejects(() => verifyHeaderHash(changed, hex(GENESIS_HASH)), 'HASH_MISMATCH', 'header');
  });

  it('rejects the right header checked against another hash', () => {
    assertRejects(() => verifyHeaderHash(encodeHeader(genesis), hex(SHANGHAI_HASH)), 'HASH_MISMATCH', 'header');
  });
});

describe('header: strict decoding', () => {
  const withFields = (mutate: (f: Uint8Array[]) => unknown[]) => RLP.encode(mutate(genesisFields()) as Uint8Array[]);

  it('decodes every allowed field count (15, 16, 17, 20, 21)', () => {
    for (const n of [15, 16, 17, 20, 21]) {
      const extra = Array.from({ length: n - 15 }, (_, i) => (i === 0 || i === 2 || i === 3 ? Uint8Array.of(7) : new Uint8Array(32)));
      const h = decodeHeader(withFields((f) => [...f, ...extra]));
      assert.equal(encodeHeader(h).length > 0, true);
      assert.equal((RLP.decode(encodeHeader(h)) as unknown[]).length, n);
    }
  });

  for (const n of [0, 14, 18, 19, 22]) {
    it(`rejects a header of ${n} fields`, () => {
      const f = genesisFields();
      const list = n <= 15 ? f.slice(0, n) : [...f, ...Array.from({ length: n - 15 }, () => new Uint8Array(32))];
      assertRejects(() => decodeHeader(RLP.encode(list)), 'BAD_ENCODING', 'header');
    });
  }

  const broken: Array<[string, (f: Uint8Array[]) => unknown[], string]> = [
    ['a 31-byte parentHash', (f) => [new Uint8Array(31), ...f.slice(1)], 'header.parentHash'],
    ['a 19-byte coinbase', (f) => [...f.slice(0, 2), new Uint8Array(19), ...f.slice(3)], 'header.coinbase'],
    ['a 255-byte logsBloom', (f) => [...f.slice(0, 6), new Uint8Array(255), ...f.slice(7)], 'header.logsBloom'],
    ['a difficulty with a leading zero', (f) => [...f.slice(0, 7), Uint8Array.of(0, 4, 0, 0, 0, 0), ...f.slice(8)], 'header.difficulty'],
    ['a number above 2^53-1', (f) => [...f.slice(0, 8), hex('20000000000000'), ...f.slice(9)], 'header.number'],
    ['a 9-byte gasLimit', (f) => [...f.slice(0, 9), hex('010000000000000000'), ...f.slice(10)], 'header.gasLimit'],
    ['a 7-byte nonce', (f) => [...f.slice(0, 14), new Uint8Array(7)], 'header.nonce'],
    ['a list where the stateRoot goes', (f) => [...f.slice(0, 3), [], ...f.slice(4)], 'header.stateRoot'],
  ];
  for (const [what, mutate, field] of broken) {
    it(`rejects ${what}, naming ${field}`, () => assertRejects(() => decodeHeader(withFields(mutate)), 'BAD_ENCODING', field));
  }

  it('rejects bytes that are not a list, and trailing bytes after the header', () => {
    assertRejects(() => decodeHeader(RLP.encode(new Uint8Array(40))), 'BAD_ENCODING', 'header');
    const rlp = encodeHeader(genesis);
    const trailing = new Uint8Array(rlp.length + 1);
    trailing.set(rlp);
    assertRejects(() => decodeHeader(trailing), 'BAD_ENCODING', 'header');
    assertRejects(() => decodeHeader(rlp.subarray(0, rlp.length - 1)), 'BAD_ENCODING', 'header');
  });

  it('keeps a gasLimit of 2^64-1 exactly (bigint)', () => {
    const h = decodeHeader(withFields((f) => [...f.slice(0, 9), hex('ffffffffffffffff'), ...f.slice(10)]));
    assert.equal(h.gasLimit, 2n ** 64n - 1n);
  });

  it('refuses to encode field combinations no fork produces', () => {
    assertRejects(() => encodeHeader({ ...genesis, withdrawalsRoot: new Uint8Array(32) }), 'BAD_ENCODING', 'header.withdrawalsRoot');
    assertRejects(
      () => encodeHeader({ ...genesis, baseFeePerGas: 7n, withdrawalsRoot: new Uint8Array(32), blobGasUsed: 0n }),
      'BAD_ENCODING',
      'header',
    );
    assertRejects(() => encodeHeader({ ...genesis, stateRoot: new Uint8Array(31) }), 'BAD_ENCODING', 'header.stateRoot');
    assertRejects(() => encodeHeader({ ...genesis, number: -1 }), 'BAD_ENCODING', 'header.number');
  });
});

describe('headerFromRpc', () => {
  it('refuses missing, non-hex and wrong-length fields, naming them', () => {
    const { stateRoot: _drop, ...missing } = shanghaiJson;
    assertRejects(() => headerFromRpc(missing), 'BAD_ENCODING', 'header.stateRoot');
    assertRejects(() => headerFromRpc({ ...shanghaiJson, miner: '0x388c' }), 'BAD_ENCODING', 'header.miner');
    assertRejects(() => headerFromRpc({ ...shanghaiJson, gasUsed: 'a768c4' }), 'BAD_ENCODING', 'header.gasUsed');
    assertRejects(() => headerFromRpc({ ...shanghaiJson, extraData: '0x123' }), 'BAD_ENCODING', 'header.extraData');
    assertRejects(() => headerFromRpc({ ...shanghaiJson, number: '0x20000000000000' }), 'BAD_ENCODING', 'header.number');
    assertRejects(() => headerFromRpc(null), 'BAD_ENCODING', 'header');
  });

  it('ignores null optional fields (pre-London JSON from some nodes)', () => {
    const h = headerFromRpc({ ...shanghaiJson, baseFeePerGas: null, withdrawalsRoot: null });
    assert.equal(h.baseFeePerGas, undefined);
    assert.equal((RLP.decode(encodeHeader(h)) as unknown[]).length, 15);
  });
});
