/**
 * The devnet's demo page in Debian's Chromium: GET / on the devnet's HTTP port loads
 * les-provider/browser, connects to both LES servers over WebSocket, shows each one's verified
 * head; the head shown advances when the node mines; a balance looked up on the page is proven
 * against a verified head and equals the node's answer at that block, naming the server.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
// @ts-expect-error a plain .mjs build script without types
import { buildBrowserBundle } from '../../scripts/build-browser.mjs';
import { type Devnet, startDevnet } from '../../src/devnet/index.js';
import { rpcCall } from '../helpers/anvil.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The page's document, as the callbacks run in the browser use it (the test compiles without the DOM lib). */
type Dataset = Record<string, string | undefined>;
declare const document: { body: { dataset: Dataset }; getElementById(id: string): { dataset: Dataset } | null };

describe("lesp devnet's page in headless Chromium", { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (.ci/run installs it)` }, () => {
  let devnet: Devnet;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const node = <T>(method: string, params: unknown[] = []): Promise<T> => rpcCall<T>(devnet.node.url, method, params);

  before(async () => {
    // The page serves the bundle `npm run build` writes; build it from these sources first.
    await buildBrowserBundle(fileURLToPath(new URL('../../dist/browser/les-provider.browser.js', import.meta.url)));
    devnet = await startDevnet({ servers: 2, sections: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(devnet.rpcUrl.replace(/\/?$/, '/'));
  });
  after(async () => {
    await browser?.close();
    await devnet?.stop();
  });

  it('shows both servers connected over les/4 with the node head verified', async () => {
    const n = Number(await node<string>('eth_blockNumber'));
    await page.waitForFunction((want) => Number(document.body.dataset.head ?? -1) >= want, n, { timeout: 20_000 }).catch((e: unknown) => {
      throw new Error(`no verified head ${n} on the page: ${errors.join('; ') || String(e)}`);
    });
    const rows = await page.$$eval('#servers tr', (trs) => trs.map((tr) => ({ name: tr.getAttribute('data-server'), state: tr.children[1]?.textContent, head: Number(tr.children[2]?.textContent) })));
    assert.equal(rows.length, 2);
    for (const r of rows) assert.match(r.state ?? '', /^connected, les\/4$/);
  });

  it('the verified head advances when the node mines', async () => {
    const n = Number(await node<string>('eth_blockNumber'));
    await node('evm_mine');
    await page.waitForFunction((want) => Number(document.body.dataset.head ?? -1) >= want, n + 1, { timeout: 20_000 });
  });

  it("a balance looked up on the page is proven and equals the node's at that block, naming the server", async () => {
    const address = devnet.accounts[1]!.address;
    await page.fill('#address', address);
    await page.click('#balance-form button');
    await page.waitForFunction(() => document.getElementById('balance')?.dataset.wei !== undefined || document.getElementById('balance')?.dataset.error !== undefined, undefined, { timeout: 15_000 });
    const shown: Dataset & { text: string | null } = await page.$eval('#balance', (el) => ({ ...(el as unknown as { dataset: Dataset }).dataset, text: el.textContent }));
    assert.equal(shown.error, undefined, shown.text ?? '');
    const want = BigInt(await node<string>('eth_getBalance', [address, `0x${Number(shown.block).toString(16)}`]));
    assert.equal(BigInt(shown.wei as string), want);
    assert.match(shown.server ?? '', /^server[01]$/);
    assert.match(shown.text ?? '', /answered by server[01]/);
  });
});
