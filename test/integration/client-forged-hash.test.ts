// A header asked for by hash is self-authenticating in content but not in place: a server can
// make a header with its own stateRoot, hand its hash to a caller, and answer it. The LesServer
// here is honest except for that one block: asked for the forged hash, it answers the forged
// header (a copy of the real head with another stateRoot) and a valid proof, under that root, of
// a victim account holding 10^24 wei. Every method taking a block hash must answer "no such block"
// (null or an error), never the forged data; the real head's hash keeps working.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { LesServer } from '../../src/serve/index.js';
import { encodeHeader, headerHash } from '../../src/verify/header.js';
import { headerFromRpc } from '../../src/verify/header-rpc.js';
import { EMPTY_CODE_HASH, encodeAccount } from '../../src/verify/state.js';
import { EMPTY_TRIE_ROOT } from '../../src/verify/trie-builder.js';
import { Code, type GetBlockHeaders, type GetProofsV2, codecOf, encodeBlockHeaders, encodeProofsV2 } from '../../src/wire/index.js';
import type { Anvil } from '../helpers/anvil.js';
import { type ClientSurfaces, type Devnet, clientAtHead, serversIdle, startClient, startDevnet } from '../helpers/devnet-stack.js';

const VICTIM = '0x00000000000000000000000000000000000c0ffe';
const RICH = 10n ** 24n;
const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const bytesOf = (h: string) => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));

/** The one-leaf state trie {keccak(victim) → account}: its root node is the leaf itself. */
function forgedState(): { root: Uint8Array; node: Uint8Array } {
  const path = keccak256(bytesOf(VICTIM));
  const leaf = RLP.encode([Uint8Array.from([0x20, ...path]), encodeAccount({ nonce: 0n, balance: RICH, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH })]);
  return { root: keccak256(leaf), node: leaf };
}

describe('a forged block by hash is never answered as verified', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let server: LesServer;
  let s: ClientSurfaces;
  let forgedHash: string;
  let realHash: string;
  let asked = 0;

  before(async () => {
    devnet = await startDevnet({ servers: 1, noClient: true });
    anvil = devnet.anvil;
    server = devnet.servers[0] as LesServer;
    const head = await serversIdle(anvil, devnet.servers);
    const json = await anvil.rpc<Record<string, unknown>>('eth_getBlockByNumber', [`0x${head.toString(16)}`, false]);
    realHash = json.hash as string;
    const state = forgedState();
    const forged = { ...headerFromRpc(json), stateRoot: state.root };
    const forgedRlp = encodeHeader(forged);
    forgedHash = hexOf(headerHash(forgedRlp));
    server.service.dispatcher.replyTransform = (r) => {
      if (r.code === Code.GetBlockHeaders) {
        const origin = (r.request as GetBlockHeaders).origin;
        if ('hash' in origin && hexOf(origin.hash) === forgedHash) {
          asked++;
          return encodeBlockHeaders({ ...codecOf(Code.BlockHeaders).decode(r.bytes), headers: [forgedRlp] });
        }
      }
      if (r.code === Code.GetProofsV2 && (r.request as GetProofsV2).reqs.some((q) => hexOf(q.blockHash) === forgedHash)) {
        return encodeProofsV2({ ...codecOf(Code.ProofsV2).decode(r.bytes), nodes: [state.node] });
      }
      return r.bytes;
    };
    s = await startClient(anvil, [server]);
    await clientAtHead(anvil, s.client);
  });
  after(async () => {
    await s?.stop();
    await devnet?.stop();
  });

  const call = (method: string, params: unknown[]) => s.eip.request({ method, params });

  it('the block methods answer null for the forged hash', async () => {
    assert.equal(await call('eth_getBlockByHash', [forgedHash, false]), null);
    assert.equal(await call('eth_getBlockTransactionCountByHash', [forgedHash]), null);
    assert.equal(await call('eth_getTransactionByBlockHashAndIndex', [forgedHash, '0x0']), null);
    assert.equal(await call('eth_getBlockReceipts', [{ blockHash: forgedHash }]), null);
    assert.ok(asked >= 1, 'the forged header was never asked for, so never offered');
  });

  it('state, logs and eth_call at the forged hash fail as an unknown block', async () => {
    const notFound = (e: unknown) => e instanceof Error && /not found|unknown block/i.test(e.message);
    for (const blockHash of [forgedHash, { blockHash: forgedHash }, { blockHash: forgedHash, requireCanonical: false }]) {
      await assert.rejects(call('eth_getBalance', [VICTIM, blockHash]), notFound);
    }
    await assert.rejects(call('eth_getCode', [VICTIM, { blockHash: forgedHash }]), notFound);
    await assert.rejects(call('eth_call', [{ to: VICTIM, data: '0x' }, { blockHash: forgedHash }]), notFound);
    await assert.rejects(call('eth_getLogs', [{ blockHash: forgedHash }]), notFound);
  });

  it('the real block by hash is answered as anvil answers it', async () => {
    const ours = (await call('eth_getBlockByHash', [realHash, false])) as Record<string, unknown>;
    assert.equal(ours.hash, realHash);
    assert.equal(await call('eth_getBalance', [VICTIM, { blockHash: realHash }]), await anvil.rpc('eth_getBalance', [VICTIM, { blockHash: realHash }]));
  });
});
