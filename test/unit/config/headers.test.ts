// Recorded real mainnet headers of each fork era, Frontier to Prague's header (test/fixtures/
// headers-mainnet.json; sources in test/fixtures/README.md): through our header codec and the LES
// BlockHeaders message, each must hash to its published hash, and its shape (field count) must be
// the one the fork our mainnet schedule puts at its block and time produces.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MAINNET, SEPOLIA, hardforkAt } from '../../../src/config/network.js';
import { headerFromRpc } from '../../../src/verify/header-rpc.js';
import { type BlockHeader, decodeHeader, encodeHeader, headerHash, verifyHeaderHash } from '../../../src/verify/header.js';
import { decodeBlockHeaders, encodeBlockHeaders } from '../../../src/wire/headers.js';

interface Fixture {
  era: string;
  number: number;
  hash: string;
  source: string;
  rlp?: string;
  rpc?: Record<string, string>;
}

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/headers-mainnet.json', import.meta.url), 'utf8')) as Fixture[];
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

// The header fields each fork added (Yellow Paper; EIP-1559, EIP-4895, EIP-4844 + EIP-4788, EIP-7685).
const FIRST_WITH = [
  { fork: 'london', fields: 16 },
  { fork: 'shanghai', fields: 17 },
  { fork: 'cancun', fields: 20 },
  { fork: 'prague', fields: 21 },
];
const ORDER = (MAINNET.hardforks ?? []).map((h) => h.name);
function fieldsUnder(fork: string): number {
  let n = 15;
  for (const f of FIRST_WITH) if (ORDER.indexOf(fork) >= ORDER.indexOf(f.fork)) n = f.fields;
  return n;
}

describe('recorded mainnet headers of each fork era', () => {
  it('cover Frontier, Homestead, Byzantium, London, Paris, Shanghai, Cancun and Prague', () => {
    assert.deepEqual([...new Set(fixtures.map((f) => f.era))], ['frontier', 'homestead', 'byzantium', 'london', 'paris', 'shanghai', 'cancun', 'prague']);
  });

  for (const f of fixtures) {
    it(`${f.era} block ${f.number} hashes to ${f.hash.slice(0, 10)}… (${f.rlp !== undefined ? 'RLP' : 'JSON-RPC'})`, () => {
      const header: BlockHeader = f.rlp !== undefined ? decodeHeader(bytes(f.rlp)) : headerFromRpc(f.rpc);
      assert.equal(header.number, f.number);
      assert.equal(hex(headerHash(header)), f.hash);
      // Our encoding is canonical: an RLP fixture comes back byte for byte.
      const rlp = encodeHeader(header);
      if (f.rlp !== undefined) assert.equal(hex(rlp), f.rlp);
      assert.deepEqual(verifyHeaderHash(rlp, bytes(f.hash)), header);
      // The shape is what the fork live at that block produces.
      const fork = hardforkAt(MAINNET, header.number, header.timestamp);
      const era = f.era === 'frontier' ? 'chainstart' : f.era;
      assert.ok(ORDER.indexOf(era) >= 0 && ORDER.indexOf(fork) >= ORDER.indexOf(era), `${fork} at block ${f.number}, not in the ${f.era} era`);
      const fields = Object.values(decodeHeader(rlp)).filter((v) => v !== undefined).length;
      assert.equal(fields, fieldsUnder(fork), `field count under ${fork}`);
    });
  }

  it('travel in one LES BlockHeaders reply and come out hashing the same', () => {
    const rlps = fixtures.map((f) => (f.rlp !== undefined ? bytes(f.rlp) : encodeHeader(headerFromRpc(f.rpc))));
    const back = decodeBlockHeaders(encodeBlockHeaders({ reqID: 7n, bv: 1000, headers: rlps }));
    assert.deepEqual(back.headers.map((h) => hex(headerHash(h))), fixtures.map((f) => f.hash));
  });

  it('a changed byte no longer hashes to the published hash', () => {
    const f = fixtures.find((x) => x.era === 'cancun') as Fixture;
    const rlp = encodeHeader(headerFromRpc(f.rpc));
    rlp[rlp.length - 40] = (rlp[rlp.length - 40] as number) ^ 1;
    assert.throws(() => verifyHeaderHash(rlp, bytes(f.hash)), /HASH_MISMATCH|is not the expected/);
  });
});

describe('a recorded Sepolia header', () => {
  const [f] = JSON.parse(readFileSync(new URL('../../fixtures/headers-sepolia.json', import.meta.url), 'utf8')) as Fixture[];
  it('block 11319411 hashes to its published hash and runs under BPO2 by sepolia\'s own schedule, with Prague\'s 21 fields', () => {
    const fx = f as Fixture;
    const header = headerFromRpc(fx.rpc);
    assert.equal(hex(headerHash(header)), fx.hash);
    assert.equal(hardforkAt(SEPOLIA, header.number, header.timestamp), 'bpo2');
    assert.equal(Object.values(header).filter((v) => v !== undefined).length, 21);
  });
});
