/**
 * The browser bundle in a real browser: Debian's Chromium (headless, driven by playwright-core,
 * which downloads nothing) loads les-provider/browser from a local page and dials a real
 * LesServer's WebSocket listener with the page's own WebSocket. The RLPx handshake and frames
 * come from the bundle's pure-JS code and are checked by the server's devp2p; the headers the
 * page receives hash to anvil's blocks and link to the genesis hash the page was given; a wrong
 * node key is refused in the page with a typed error; a server that alters headers (TEST-ONLY
 * tamperer) is caught by the page's own check.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
// @ts-expect-error a plain .mjs build script without types
import { buildBrowserBundle } from '../../scripts/build-browser.mjs';
import { computeForkId } from '../../src/config/forkid.js';
import { formatEnode, nodeIdFromPrivateKey, parseEnode } from '../../src/net/index.js';
import { LesServer } from '../../src/serve/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { Tamperer } from '../helpers/lying-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** What the page runs: dial, fetch headers, check their links; returns what a user would read. */
const PAGE_SCRIPT = `
const m = await import('/les-provider.browser.js');
const fromHex = (h) => Uint8Array.from(h.match(/../g).map((b) => parseInt(b, 16)));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
window.lesDial = async (enode, s, count) => {
  const status = { protocolVersion: 4, networkId: BigInt(s.networkId), headTd: 0n, headHash: fromHex(s.genesis), headNum: 0,
    genesisHash: fromHex(s.genesis), forkID: { hash: fromHex(s.forkHash), next: BigInt(s.forkNext) }, announceType: 1, unknown: [] };
  try {
    const peer = await m.dialWs(enode, { status, dialTimeoutMs: 8000 });
    const reply = await peer.request(m.Code.GetBlockHeaders, (reqID) => m.encodeGetBlockHeaders({ reqID, origin: { number: 0 }, amount: count, skip: 0, reverse: false }));
    const headers = m.codecOf(m.Code.BlockHeaders).fromRlp(reply.item).headers.map((h) => m.decodeHeader(h));
    // Verified against what the page trusts: block 0 is the genesis it was given, each next names its parent.
    const hashes = headers.map((h) => toHex(m.headerHash(h)));
    const linked = hashes[0] === s.genesis && headers.every((h, i) => i === 0 || toHex(h.parentHash) === hashes[i - 1]);
    const out = { ok: true, version: peer.version, hashes, linked, numbers: headers.map((h) => h.number) };
    if (s.address !== undefined && linked) {
      // The balance at the last header, from a Merkle proof checked against that header's stateRoot.
      const last = headers[headers.length - 1];
      const req = { blockHash: m.headerHash(last), accountKey: m.accountKey(fromHex(s.address)), storageKey: new Uint8Array(0), fromLevel: 0 };
      const proof = await peer.request(m.Code.GetProofsV2, (reqID) => m.encodeGetProofsV2({ reqID, reqs: [req] }));
      const nodes = m.codecOf(m.Code.ProofsV2).fromRlp(proof.item).nodes;
      try {
        const account = m.verifyAccountProof(last.stateRoot, fromHex(s.address), nodes);
        out.balance = (account?.balance ?? 0n).toString();
      } catch (err) {
        out.refused = { name: err.constructor.name, code: err.code, verification: err instanceof m.VerificationError, message: err.message };
      }
    }
    peer.disconnect(8);
    return out;
  } catch (err) {
    return { ok: false, name: err.constructor.name, code: err.code, message: err.message };
  }
};
// Follow a server: each announce's new headers must link to the last verified head to be adopted.
window.lesFollow = async (enode, s) => {
  const status = { protocolVersion: 4, networkId: BigInt(s.networkId), headTd: 0n, headHash: fromHex(s.genesis), headNum: 0,
    genesisHash: fromHex(s.genesis), forkID: { hash: fromHex(s.forkHash), next: BigInt(s.forkNext) }, announceType: 1, unknown: [] };
  const peer = await m.dialWs(enode, { status, dialTimeoutMs: 8000 });
  const state = { number: 0, hash: s.genesis, rejected: 0, announces: 0 };
  window.lesHead = state;
  const fetch = async (from, count) => {
    const reply = await peer.request(m.Code.GetBlockHeaders, (reqID) => m.encodeGetBlockHeaders({ reqID, origin: { number: from }, amount: count, skip: 0, reverse: false }));
    return m.codecOf(m.Code.BlockHeaders).fromRlp(reply.item).headers.map((h) => m.decodeHeader(h));
  };
  let busy = Promise.resolve();
  const advance = (to) => (busy = busy.then(async () => {
    if (to <= state.number) return;
    const headers = await fetch(state.number + 1, to - state.number);
    let prev = state.hash;
    for (const h of headers) {
      if (toHex(h.parentHash) !== prev) { state.rejected++; return; }
      prev = toHex(m.headerHash(h));
      state.number = h.number;
      state.hash = prev;
    }
  }));
  peer.on('announce', (a) => { state.announces++; advance(a.headNumber); });
  await advance(Number(s.head));
  return state.number;
};
window.lesReady = true;
`;

describe('les-provider/browser in headless Chromium against a real LesServer', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (.ci/run installs it)` }, () => {
  let anvil: Anvil;
  let server: LesServer;
  let liar: LesServer;
  let tamperer: Tamperer;
  let http: Server;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let status: { networkId: string; genesis: string; forkHash: string; forkNext: string; address?: string; head?: string };
  let bundleSize: { min: number; gzip: number };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lesp-browser-'));
    bundleSize = (await buildBrowserBundle(join(dir, 'les-provider.browser.js'))) as { min: number; gzip: number };
    anvil = await startAnvil({ hardfork: 'prague' });
    const [acct] = await anvil.rpc<string[]>('eth_accounts');
    for (let i = 0; i < 3; i++) await anvil.rpc('eth_sendTransaction', [{ from: acct, to: acct, value: '0x1' }]);
    server = new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, wsPort: 0, pollIntervalMs: 50 });
    await server.start();
    liar = new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, wsPort: 0, pollIntervalMs: 50 });
    await liar.start();
    tamperer = new Tamperer(liar, { lie: 'header' });
    const genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash.slice(2);
    const fork = computeForkId(Uint8Array.from(Buffer.from(genesis, 'hex')), { blocks: [], timestamps: [] }, 0, 0);
    status = { networkId: '31337', genesis, forkHash: hex(fork.hash), forkNext: fork.next.toString(), address: acct!.slice(2) };
    const bundle = readFileSync(join(dir, 'les-provider.browser.js'));
    http = createServer((req, res) => {
      if (req.url === '/les-provider.browser.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(bundle);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><meta charset="utf-8"><title>les</title><script type="module">${PAGE_SCRIPT}</script>`);
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`);
    await page.waitForFunction(() => (globalThis as unknown as { lesReady?: boolean }).lesReady === true, undefined, { timeout: 15_000 }).catch((e: unknown) => {
      throw new Error(`the page did not load the bundle: ${errors.join('; ') || String(e)}`);
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => (http === undefined ? r(undefined) : http.close(r)));
    tamperer?.uninstall();
    await liar?.stop();
    await server?.stop();
    await anvil?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('the bundle is within its budget', () => {
    assert.ok(bundleSize.min < 400 * 1024, `${bundleSize.min} bytes minified`);
    assert.ok(bundleSize.gzip < bundleSize.min);
  });

  it("the page completes RLPx and Status over its WebSocket; the headers it checks are anvil's, and so is the balance it proves", async () => {
    const n = Number(await anvil.rpc<string>('eth_blockNumber'));
    const got = (await page.evaluate(([e, s, c]) => (globalThis as unknown as { lesDial: (...a: unknown[]) => Promise<unknown> }).lesDial(e, s, c), [server.wsEnode, status, n + 1] as const)) as {
      ok: boolean; version?: number; hashes?: string[]; linked?: boolean; numbers?: number[]; message?: string; balance?: string;
    };
    assert.equal(got.ok, true, got.message);
    assert.equal(got.version, 4);
    assert.equal(got.balance, BigInt(await anvil.rpc<string>('eth_getBalance', [`0x${status.address}`, `0x${n.toString(16)}`])).toString());
    assert.equal(got.linked, true);
    assert.deepEqual(got.numbers, Array.from({ length: n + 1 }, (_, i) => i));
    for (let i = 0; i <= n; i++) {
      const want = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${i.toString(16)}`, false]);
      assert.equal(`0x${got.hashes![i]}`, want.hash);
    }
  });

  it('a wrong node key is refused in the page with a typed error, and the server stays up', async () => {
    const { host, port } = parseEnode(server.wsEnode as string);
    const wrong = formatEnode({ id: nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey()), host, port, transport: 'ws' });
    const got = (await page.evaluate(([e, s]) => (globalThis as unknown as { lesDial: (...a: unknown[]) => Promise<unknown> }).lesDial(e, s, 1), [wrong, status] as const)) as { ok: boolean; name?: string; code?: string };
    assert.deepEqual({ ok: got.ok, name: got.name, code: got.code }, { ok: false, name: 'DialError', code: 'AUTH_DROPPED' });
    const again = (await page.evaluate(([e, s]) => (globalThis as unknown as { lesDial: (...a: unknown[]) => Promise<unknown> }).lesDial(e, s, 1), [server.wsEnode, status] as const)) as { ok: boolean };
    assert.equal(again.ok, true);
  });

  it('a server altering headers is caught by the page: they do not link to the genesis it trusts', async () => {
    const n = Number(await anvil.rpc<string>('eth_blockNumber'));
    const got = (await page.evaluate(([e, s, c]) => (globalThis as unknown as { lesDial: (...a: unknown[]) => Promise<unknown> }).lesDial(e, s, c), [liar.wsEnode, status, n + 1] as const)) as {
      ok: boolean; linked?: boolean; hashes?: string[]; message?: string;
    };
    assert.equal(got.ok, true, got.message);
    assert.ok(tamperer.told.header > 0, 'the liar lied');
    assert.equal(got.linked, false);
    // The altered header is one the node never had: its hash is not anvil's block hash.
    const real = await Promise.all(got.hashes!.map((_, i) => anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${i.toString(16)}`, false])));
    assert.ok(got.hashes!.some((h, i) => `0x${h}` !== real[i]!.hash));
  });

  it('a server altering a balance in its proof is refused by the page with a VerificationError', async () => {
    tamperer.lie = 'balance';
    try {
      const n = Number(await anvil.rpc<string>('eth_blockNumber'));
      const got = (await page.evaluate(([e, s, c]) => (globalThis as unknown as { lesDial: (...a: unknown[]) => Promise<unknown> }).lesDial(e, s, c), [liar.wsEnode, status, n + 1] as const)) as {
        ok: boolean; linked?: boolean; balance?: string; refused?: { name: string; code: string; verification: boolean }; message?: string;
      };
      assert.equal(got.ok, true, got.message);
      assert.equal(got.linked, true);
      assert.ok(tamperer.told.balance > 0, 'the liar lied');
      assert.equal(got.balance, undefined);
      // The altered leaf no longer hashes to what its parent names: a VerificationError (MissingNodeError).
      assert.equal(got.refused?.verification, true, JSON.stringify(got.refused));
    } finally {
      tamperer.lie = 'header';
    }
  });

  it('the head the page verifies advances as anvil mines', async () => {
    const n = Number(await anvil.rpc<string>('eth_blockNumber'));
    const start = await page.evaluate(([e, s]) => (globalThis as unknown as { lesFollow: (...a: unknown[]) => Promise<number> }).lesFollow(e, s), [server.wsEnode, { ...status, head: String(n) }] as const);
    assert.equal(start, n);
    await anvil.rpc('evm_mine');
    await anvil.rpc('evm_mine');
    await page.waitForFunction((want) => (globalThis as unknown as { lesHead?: { number: number } }).lesHead?.number === want, n + 2, { timeout: 20_000 });
    const head = (await page.evaluate(() => (globalThis as unknown as { lesHead: { number: number; hash: string; rejected: number; announces: number } }).lesHead));
    assert.equal(`0x${head.hash}`, (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${(n + 2).toString(16)}`, false])).hash);
    assert.equal(head.rejected, 0);
    assert.ok(head.announces > 0, 'the head moved on announces');
  });
});
