/**
 * The devnet's demo page (GET / on its HTTP port): a plain page that loads les-provider/browser
 * and connects straight to the devnet's LES servers over WebSocket — not through the proxy. Per
 * server it shows the head it verified (each announced header linked to the last one, from the
 * genesis down), and a balance lookup proven against the freshest verified head's stateRoot,
 * naming the server that answered. Contract reads and logs need the engine in the browser, which
 * the bundle does not carry yet; the page says so and points at the proxy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type NetworkConfig, forkIdAt } from '../config/network.js';
import { toHex } from '../bytes.js';
import type { ProxyPage } from '../proxy/http.js';

export const BUNDLE_PATH = '/les-provider.browser.js';

/** The bundle `npm run build` writes: next to dist/devnet when installed, under dist/ from the sources. */
function findBundle(): Uint8Array | undefined {
  for (const rel of ['../browser/les-provider.browser.js', '../../dist/browser/les-provider.browser.js']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return readFileSync(path);
  }
  return undefined;
}

export interface PageConfig {
  network: NetworkConfig;
  chainId: bigint;
  genesisHash: string;
  wsEnodes: readonly string[];
}

export function demoPages(c: PageConfig): Map<string, ProxyPage> {
  const genesis = Uint8Array.from(Buffer.from(c.genesisHash.slice(2), 'hex'));
  const fork = forkIdAt(c.network, genesis, 0, 0);
  const config = {
    networkId: c.chainId.toString(),
    genesis: c.genesisHash.slice(2),
    forkHash: toHex(fork.hash),
    forkNext: fork.next.toString(),
    servers: c.wsEnodes,
  };
  const bundle = findBundle();
  const pages = new Map<string, ProxyPage>([['/', { type: 'text/html; charset=utf-8', body: html(JSON.stringify(config), bundle !== undefined) }]]);
  if (bundle !== undefined) pages.set(BUNDLE_PATH, { type: 'text/javascript; charset=utf-8', body: bundle });
  return pages;
}

const STYLE = `body{font:15px system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#222}
code,td.h{font-family:ui-monospace,monospace;font-size:13px}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}.bad{color:#b00}.ok{color:#070}
input{font-family:ui-monospace,monospace;width:28rem}`;

function html(configJson: string, haveBundle: boolean): string {
  return `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>les-provider devnet</title><style>${STYLE}</style>
<h1>les-provider devnet — LES in your browser</h1>
<p>This page talks to the devnet's LES servers directly, over WebSocket, with the RLPx handshake and
every check running here in the page. Nothing comes through the proxy.</p>
<h2>Servers and their verified heads</h2>
<table><thead><tr><th>server</th><th>state</th><th>verified head</th><th>hash</th></tr></thead><tbody id="servers"></tbody></table>
<h2>Balance</h2>
<form id="balance-form"><input id="address" placeholder="0x… address" autocomplete="off"> <button>look up</button></form>
<p id="balance"></p>
<h2>Contract reads and logs</h2>
<p>Not in the browser bundle yet: they need the light client's engine (EVM, log filters), which still
needs Node. Ask the verifying proxy at <code id="proxy"></code> meanwhile.</p>
<script type="module">
const config = ${configJson.replace(/</g, '\\u003c')};
document.getElementById('proxy').textContent = location.origin;
${haveBundle ? '' : "document.body.insertAdjacentHTML('afterbegin', '<p class=bad>No browser bundle: run <code>npm run build</code> and restart the devnet.</p>');"}
const m = await import('${BUNDLE_PATH}');
const fromHex = (h) => Uint8Array.from((h.replace(/^0x/, '').match(/../g) ?? []).map((b) => parseInt(b, 16)));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const status = { protocolVersion: 4, networkId: BigInt(config.networkId), headTd: 0n, headHash: fromHex(config.genesis), headNum: 0,
  genesisHash: fromHex(config.genesis), forkID: { hash: fromHex(config.forkHash), next: BigInt(config.forkNext) }, announceType: 1, unknown: [] };
const servers = config.servers.map((enode, i) => ({ name: 'server' + i, enode, peer: undefined, number: 0, hash: config.genesis, header: undefined, rejected: 0 }));
const tbody = document.getElementById('servers');
function render() {
  tbody.innerHTML = '';
  for (const s of servers) {
    const tr = document.createElement('tr');
    tr.dataset.server = s.name;
    tr.innerHTML = '<td></td><td></td><td class="head"></td><td class="h"></td>';
    tr.children[0].textContent = s.name;
    tr.children[1].textContent = s.error ?? (s.peer ? 'connected, les/' + s.peer.version + (s.rejected ? ', ' + s.rejected + ' unlinked header(s) refused' : '') : 'connecting');
    tr.children[1].className = s.error || s.rejected ? 'bad' : 'ok';
    tr.children[2].textContent = String(s.number);
    tr.children[3].textContent = '0x' + s.hash.slice(0, 16) + '…';
    tbody.append(tr);
  }
  const best = Math.max(...servers.map((s) => s.number));
  document.body.dataset.head = String(best);
}
async function headers(s, from, count) {
  const reply = await s.peer.request(m.Code.GetBlockHeaders, (reqID) => m.encodeGetBlockHeaders({ reqID, origin: { number: from }, amount: count, skip: 0, reverse: false }));
  return m.codecOf(m.Code.BlockHeaders).fromRlp(reply.item).headers.map((h) => m.decodeHeader(h));
}
function follow(s) {
  let busy = Promise.resolve();
  // Adopt headers only when each one names the last verified head as its parent.
  const advance = (to) => (busy = busy.then(async () => {
    while (s.number < to) {
      const batch = await headers(s, s.number + 1, Math.min(192, to - s.number));
      if (batch.length === 0) return;
      for (const h of batch) {
        if (toHex(h.parentHash) !== s.hash) { s.rejected++; render(); return; }
        s.hash = toHex(m.headerHash(h)); s.number = h.number; s.header = h;
      }
    }
    render();
  }).catch((err) => { s.error = err.message; render(); }));
  return advance;
}
for (const s of servers) {
  m.dialWs(s.enode, { status }).then((peer) => {
    s.peer = peer;
    const advance = follow(s);
    peer.on('announce', (a) => advance(a.headNumber));
    peer.on('close', () => { s.error = 'disconnected'; s.peer = undefined; render(); });
    advance(peer.remoteStatus.headNum);
    render();
  }, (err) => { s.error = err.code + ': ' + err.message; render(); });
}
render();
document.getElementById('balance-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = document.getElementById('balance');
  const address = document.getElementById('address').value.trim();
  const s = servers.filter((x) => x.peer && x.header).sort((a, b) => b.number - a.number)[0];
  if (!s) { out.textContent = 'no server with a verified head yet'; return; }
  const head = s.header;
  try {
    const req = { blockHash: m.headerHash(head), accountKey: m.accountKey(fromHex(address)), storageKey: new Uint8Array(0), fromLevel: 0 };
    // A server that says it takes preimages (our lesp serve) is told the address, so it can prove
    // an account its index has not met yet.
    if (s.peer.remoteStatus.unknown.some((u) => u.key === m.PREIMAGES_STATUS_KEY)) req.address = fromHex(address);
    const proof = await s.peer.request(m.Code.GetProofsV2, (reqID) => m.encodeGetProofsV2({ reqID, reqs: [req] }));
    const account = m.verifyAccountProof(head.stateRoot, fromHex(address), m.codecOf(m.Code.ProofsV2).fromRlp(proof.item).nodes);
    const wei = (account ? account.balance : 0n).toString();
    out.className = 'ok';
    out.dataset.wei = wei; out.dataset.block = String(head.number); out.dataset.server = s.name;
    out.textContent = wei + ' wei at block ' + head.number + ', proven against its stateRoot; answered by ' + s.name;
  } catch (err) {
    out.className = 'bad';
    out.dataset.error = err.constructor.name;
    out.textContent = s.name + ' refused: ' + err.constructor.name + (err.code ? ' ' + err.code : '') + ': ' + err.message;
  }
});
</script>
</html>
`;
}
