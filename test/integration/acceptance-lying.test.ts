// Acceptance (issue 4): lying servers. anvil (prague) with the methods workload, one honest LES
// server and one liar — a real LesServer whose replies pass through test/helpers/lying-server.ts,
// which alters one thing per case on the way out (the liar's own stores stay honest). For each case
// a fresh LesClient (window of 16 headers, so old headers are fetched on demand) dials both; then:
// - every answer the caller gets equals anvil's own JSON-RPC answer;
// - every lie the liar sent was caught: the pool counts exactly that many invalid answers from the
//   liar (none from the honest server) and the scheduler's verification failures include them;
// - the liar's reliability score ends below the honest server's.
// A forged announce (signed by another key, or not above the last head) is counted as a bad
// announce, changes nothing the caller sees, and lowers the liar's score likewise. RLP bombs (a
// 4,000,000-item list as a receipt or a CHT header) are lies like any other. Two lies cannot be
// scored, since nothing in them fails a check, and must simply change nothing: a forged block
// offered for its own hash (every hash method answers as anvil does for an unknown hash: null or
// an error), and an untrusted server announcing a huge head (eth_syncing stays false).
//
// The honest server is also slow (every reply held back 250 ms, longer than the round trip the
// client assumes of a server it has not measured yet), so the client prefers the liar until it is
// caught: the lie is really told to it, not avoided by chance.
import assert from 'node:assert/strict';
import { after, before as nodeBefore, describe, it as nodeIt } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import type { LesClient } from '../../src/index.js';
import type { LesEip1193Provider } from '../../src/client/eip1193.js';
import { parseEnode } from '../../src/net/index.js';
import type { LesServer } from '../../src/serve/index.js';
import type { Anvil } from '../helpers/anvil.js';
import { type ClientSurfaces, type Devnet, clientAtHead, clientTrustsSection, serversIdle, startClient, startDevnet, until } from '../helpers/devnet-stack.js';
import { type Lie, Tamperer, forgeAnnounces } from '../helpers/lying-server.js';
import { encodeHeader, headerHash } from '../../src/verify/header.js';
import { headerFromRpc } from '../../src/verify/header-rpc.js';
import { signAnnounce } from '../../src/verify/announce-signature.js';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { Code, encodeAnnounce } from '../../src/wire/index.js';
import { ABSENT, type Workload, runWorkload, word } from '../unit/client/methods-workload.js';

// Timeouts per hook and test: a stuck one fails by name instead of the whole file at its limit.
const before = (fn: () => Promise<void>) => nodeBefore(fn, { timeout: 150_000 });
const it = (name: string, fn: () => Promise<void> | void): void => void nodeIt(name, { timeout: 90_000 }, fn);

type Json = Record<string, unknown>;
const hex = (n: number) => `0x${n.toString(16)}`;
const idOf = (s: LesServer) => Buffer.from(parseEnode(s.enode).id).toString('hex');
const noSize = (b: unknown) => (b === null ? b : { ...(b as Json), size: undefined, totalDifficulty: undefined });
const stripReceipts = (x: unknown) =>
  (x as Json[]).map((r) => {
    const out = { ...r };
    delete out.blockTimestamp;
    if (out.type !== '0x3') delete out.blobGasPrice;
    return out;
  });

describe('acceptance: a lying server is caught every time; with one honest server the caller gets anvil’s answer', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let honest: LesServer;
  let liar: LesServer;
  let slow: Tamperer;
  let lying: Tamperer;
  let w: Workload;
  let head: number;
  let hashes: string[];
  const liarKey = secp256k1.utils.randomPrivateKey();

  before(async () => {
    devnet = await startDevnet({
      servers: 2,
      serverOptions: (i) => (i === 1 ? { nodeKey: liarKey } : {}),
      workload: async (a) => {
        w = await runWorkload(a);
      },
      noClient: true,
    });
    anvil = devnet.anvil;
    [honest, liar] = devnet.servers as [LesServer, LesServer];
    slow = new Tamperer(honest, { delayMs: 250 });
    lying = new Tamperer(liar);
    head = await serversIdle(anvil, devnet.servers);
    hashes = [];
    for (let n = 0; n <= head; n++) hashes.push((await anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false])).hash as string);
  });
  after(async () => {
    slow?.uninstall();
    lying?.uninstall();
    await devnet?.stop();
  });

  /** A fresh client on both servers (the liar trusted or not), honest while it starts. */
  const withClient = async (liarTrusted: boolean, fn: (s: ClientSurfaces) => Promise<void>) => {
    lying.lie = undefined;
    const s = await startClient(anvil, [{ enode: honest.enode, trusted: true }, { enode: liar.enode, trusted: liarTrusted }], { cacheSizes: { window: 16 } });
    try {
      await until('both servers connected', () => (s.client.status().servers === 2 ? true : undefined));
      await clientAtHead(anvil, s.client);
      await clientTrustsSection(s.client, 1);
      await fn(s);
    } finally {
      await s.stop();
    }
  };

  const info = (client: LesClient, server: LesServer) => {
    const found = client.parts?.pool.list().find((x) => x.id === idOf(server));
    assert.ok(found !== undefined);
    return found;
  };

  /** Our answer through the EIP-1193 object equals anvil's. */
  const same = async (eip: LesEip1193Provider, method: string, params: unknown[], strip: (x: unknown) => unknown = (x) => x) => {
    const ours = await eip.request({ method, params });
    assert.deepEqual(strip(ours), strip(await anvil.rpc(method, params)), `${method} ${JSON.stringify(params)}`);
    return ours;
  };

  const cases: Array<{ lie: Lie; what: string; run: (eip: LesEip1193Provider) => Promise<void> }> = [
    {
      lie: 'balance',
      what: 'a balance changed in an account proof',
      run: async (eip) => {
        for (const n of [head, head - 1, head - 2, head - 3]) {
          for (const a of [w.wallets[0]?.address as string, w.contractA]) await same(eip, 'eth_getBalance', [a, hex(n)]);
        }
      },
    },
    {
      lie: 'proof-drop',
      what: 'a proof node dropped',
      run: async (eip) => {
        for (const n of [head - 1, head - 4, head - 5]) {
          await same(eip, 'eth_getTransactionCount', [w.wallets[1]?.address as string, hex(n)]);
          await same(eip, 'eth_getStorageAt', [w.contractA, word(1n), hex(n)]);
          await same(eip, 'eth_getBalance', [ABSENT, hex(n)]);
        }
      },
    },
    {
      lie: 'proof-extra',
      what: 'an extra proof node',
      run: async (eip) => {
        for (const n of [head - 2, head - 6, head - 7]) {
          await same(eip, 'eth_getBalance', [w.contractB, hex(n)]);
          await same(eip, 'eth_getProof', [w.contractB, [word(0x1234n)], hex(n)]);
        }
      },
    },
    {
      lie: 'header',
      what: 'a wrong header (by hash, by CHT proof, linked back below the window)',
      run: async (eip) => {
        for (const n of [140, 139]) await same(eip, 'eth_getBlockByHash', [hashes[n], false], noSize);
        for (const n of [100, 20, 145]) await same(eip, 'eth_getBlockByNumber', [hex(n), true], noSize);
      },
    },
    {
      lie: 'receipt',
      what: 'a changed receipt',
      run: async (eip) => {
        for (const n of [3, 142, 72]) await same(eip, 'eth_getBlockReceipts', [hex(n)], (x) => (x === null ? x : stripReceipts(x)));
        await same(eip, 'eth_getTransactionReceipt', [w.txs.writeB], (x) => stripReceipts([x]));
      },
    },
    {
      lie: 'log',
      what: 'a log removed from a receipt',
      run: async (eip) => {
        await same(eip, 'eth_getLogs', [{ fromBlock: '0x80', toBlock: 'latest' }]);
        await same(eip, 'eth_getLogs', [{ fromBlock: '0x2', toBlock: '0x6' }]);
      },
    },
    {
      lie: 'bloom',
      what: 'a wrong bloom bit vector',
      run: async (eip) => {
        await same(eip, 'eth_getLogs', [{ fromBlock: 'earliest', toBlock: 'latest', address: w.contractA }]);
        await same(eip, 'eth_getLogs', [{ fromBlock: 'earliest', toBlock: 'latest', address: w.contractB }]);
      },
    },
    {
      lie: 'receipt-bomb',
      what: 'a receipt that is a 4,000,000-item list',
      run: async (eip) => {
        for (const n of [3, 142]) await same(eip, 'eth_getBlockReceipts', [hex(n)], (x) => (x === null ? x : stripReceipts(x)));
      },
    },
    {
      lie: 'aux-bomb',
      what: 'a CHT header that is a 4,000,000-item list',
      run: async (eip) => {
        for (const n of [21, 40]) await same(eip, 'eth_getBlockByNumber', [hex(n), false], noSize);
      },
    },
    {
      lie: 'code',
      what: 'a wrong contract code',
      run: async (eip) => {
        for (const a of [w.contractA, w.contractB, w.delegated]) await same(eip, 'eth_getCode', [a, 'latest']);
        await same(eip, 'eth_getCode', [w.contractA, hex(head - 8)]);
      },
    },
  ];

  for (const c of cases) {
    it(`${c.what}: caught, the answers are anvil's, the liar's score drops`, async () => {
      await withClient(false, async ({ client, eip }) => {
        const before = lying.told[c.lie];
        const failuresBefore = client.parts?.scheduler.metrics().verificationFailures ?? 0;
        lying.lie = c.lie;
        await c.run(eip);
        const told = lying.told[c.lie] - before;
        assert.ok(told >= 1, 'the liar was never asked');
        // Every lie sent reached the client and was found out (waiting only for replies still on the wire).
        await until('every lie verified', () => (info(client, liar).invalidAnswers >= told ? true : undefined));
        assert.equal(info(client, liar).invalidAnswers, told);
        assert.equal(info(client, honest).invalidAnswers, 0);
        assert.ok((client.parts?.scheduler.metrics().verificationFailures ?? 0) - failuresBefore >= told);
        assert.ok(info(client, liar).score < info(client, honest).score, `liar ${info(client, liar).score}, honest ${info(client, honest).score}`);
        // The caller keeps getting right answers afterwards.
        await same(eip, 'eth_getBalance', [w.wallets[2]?.address as string, hex(head - 9)]);
      });
    });
  }

  it('a forged block offered for its own hash: every hash method answers as anvil does, the honest server is not blamed', async () => {
    await withClient(false, async ({ client, eip }) => {
      const json = await anvil.rpc<Json>('eth_getBlockByNumber', [hex(head), false]);
      const forged = encodeHeader({ ...headerFromRpc(json), stateRoot: keccak256(Buffer.from('a state of the liar’s making')) });
      const forgedHash = `0x${Buffer.from(headerHash(forged)).toString('hex')}`;
      lying.forgedHeaders.set(forgedHash.slice(2), forged);
      const before = lying.told['forged-block'];
      lying.lie = 'forged-block';
      for (const [method, params] of [
        ['eth_getBlockByHash', [forgedHash, false]],
        ['eth_getBlockTransactionCountByHash', [forgedHash]],
        ['eth_getTransactionByBlockHashAndIndex', [forgedHash, '0x0']],
      ] as const) {
        await same(eip, method, [...params]);
      }
      for (const [method, params] of [
        ['eth_getBalance', [w.wallets[0]?.address as string, { blockHash: forgedHash }]],
        ['eth_call', [{ to: w.contractA, data: '0x' }, { blockHash: forgedHash }]],
        ['eth_getLogs', [{ blockHash: forgedHash }]],
      ] as const) {
        await assert.rejects(anvil.rpc(method, [...params]), `anvil refuses ${method} at an unknown block`);
        await assert.rejects(eip.request({ method, params: [...params] }), (e: unknown) => e instanceof Error && /not found|unknown block/i.test(e.message), method);
      }
      assert.ok(lying.told['forged-block'] - before >= 1, 'the forged header was offered');
      assert.equal(info(client, honest).invalidAnswers, 0);
      await same(eip, 'eth_getBalance', [w.wallets[2]?.address as string, hex(head - 9)]);
    });
  });

  it('an untrusted server announcing a head a million blocks ahead: eth_syncing stays false, the client synced', async () => {
    await withClient(false, async ({ client, eip }) => {
      const huge = { headHash: keccak256(Buffer.from('a million ahead')), headNumber: head + 1_000_000, headTd: 10n ** 30n };
      for (const session of liar.service.sessions) {
        session.send(Code.Announce, encodeAnnounce({ ...huge, reorgDepth: 0, updates: [], signature: signAnnounce(liarKey, huge) }));
      }
      await until('the announce arrived', () => (client.parts?.scheduler.servers().some((x) => x.head.number === huge.headNumber) ? true : undefined));
      await same(eip, 'eth_syncing', []);
      await same(eip, 'eth_blockNumber', []);
      assert.equal(client.status().synced, true, client.status().reason);
    });
  });

  it('a forged announce (another key’s signature; a head not above the last): counted, not followed, score drops', async () => {
    await withClient(true, async ({ client, eip }) => {
      assert.equal(forgeAnnounces(liar, liarKey), 2);
      await until('both bad announces seen', () => (info(client, liar).badAnnounces >= 2 ? true : undefined));
      assert.equal(info(client, liar).badAnnounces, 2);
      assert.equal(info(client, honest).badAnnounces, 0);
      assert.ok(info(client, liar).score < info(client, honest).score);
      await same(eip, 'eth_blockNumber', []);
      await same(eip, 'eth_getBlockByNumber', ['latest', false], noSize);
      // Both servers announce the next real head: the client follows it.
      await anvil.rpc('anvil_mine', ['0x1']);
      await serversIdle(anvil, devnet.servers);
      await clientAtHead(anvil, client);
      await same(eip, 'eth_blockNumber', []);
      await same(eip, 'eth_getBlockByNumber', ['latest', false], noSize);
      head = Number(await anvil.rpc<string>('eth_blockNumber'));
      hashes.push((await anvil.rpc<Json>('eth_getBlockByNumber', ['latest', false])).hash as string);
    });
  });
});
