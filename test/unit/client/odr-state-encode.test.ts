/**
 * What the client puts on the wire for state: go-ethereum's GetProofsV2 entries (an account proof
 * has an empty AccKey), and the preimages only to a server whose Status carries "lesp/preimages".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { ServerView, VerifiedHeader } from '../../../src/client/contracts.js';
import { codeKind, stateProofKind } from '../../../src/client/odr/state.js';
import { paramsFromStatus } from '../../../src/client/servers/index.js';
import { PREIMAGES_STATUS_KEY, decodeRlp } from '../../../src/wire/index.js';
import { serverStatus } from '../net/fixtures.js';

const header = { hash: new Uint8Array(32).fill(1), header: { number: 5 } } as unknown as VerifiedHeader;
const address = new Uint8Array(20).fill(0xaa);
const slot = new Uint8Array(32).fill(0x07);
const view = (preimages: boolean) => ({ caps: { serveHeaders: true, txRelay: false, ...(preimages ? { preimages: true } : {}) } }) as unknown as ServerView;
const entries = (msg: Uint8Array) => (decodeRlp(msg, 't') as unknown as [Uint8Array, Uint8Array[][]])[1];

describe('state requests on the wire', () => {
  it("GetProofsV2 entries are go-ethereum's: [h, \"\", keccak(address), 0] and [h, keccak(address), keccak(slot), 0]", () => {
    const [acc, sto] = entries(stateProofKind.encode(1n, [{ header, address }, { header, address, slot }], view(false)));
    assert.deepEqual(acc, [header.hash, new Uint8Array(0), keccak256(address), new Uint8Array(0)]);
    assert.deepEqual(sto, [header.hash, keccak256(address), keccak256(slot), new Uint8Array(0)]);
  });

  it('to a server that announced lesp/preimages, each entry also carries the address (and slot)', () => {
    const [acc, sto] = entries(stateProofKind.encode(1n, [{ header, address }, { header, address, slot }], view(true)));
    assert.deepEqual(acc, [header.hash, new Uint8Array(0), keccak256(address), new Uint8Array(0), address, new Uint8Array(0)]);
    assert.deepEqual(sto, [header.hash, keccak256(address), keccak256(slot), new Uint8Array(0), address, slot]);
    const [code] = entries(codeKind.encode(1n, [{ header, address, codeHash: new Uint8Array(32) }], view(true)));
    assert.deepEqual(code, [header.hash, keccak256(address), address]);
    const [plain] = entries(codeKind.encode(1n, [{ header, address, codeHash: new Uint8Array(32) }], view(false)));
    assert.deepEqual(plain, [header.hash, keccak256(address)]);
  });

  it('the capability comes from the Status key with value 1 only', () => {
    assert.equal(paramsFromStatus(serverStatus()).caps.preimages, undefined);
    assert.equal(paramsFromStatus(serverStatus({ unknown: [{ key: PREIMAGES_STATUS_KEY, value: Uint8Array.of(1) }] })).caps.preimages, true);
    assert.equal(paramsFromStatus(serverStatus({ unknown: [{ key: PREIMAGES_STATUS_KEY, value: Uint8Array.of(2) }] })).caps.preimages, undefined);
    assert.equal(paramsFromStatus(serverStatus({ unknown: [{ key: PREIMAGES_STATUS_KEY, value: [] }] })).caps.preimages, undefined);
  });
});
