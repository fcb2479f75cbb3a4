/**
 * The access matrix of the management endpoint of a running LesServer (issue 6 §5), with an LES
 * client connected: no token, a wrong token, a revoked token, an expired token, and a readonly
 * token, each calling every mutating method with valid parameters, are all refused with HTTP 401
 * and JSON-RPC -32001 "unauthorized" and change nothing (balances, prices, sessions, peers, node
 * URLs, tokens, the connection, stop). A readonly token reads everything; a custom token does
 * exactly what it lists. The endpoint listens on 127.0.0.1 by default.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ethers } from 'ethers';
import { AdminClient, AdminClientError, type ServeAdmin, parseJson, startServeAdmin, stringifyJson } from '../../src/admin/index.js';
import { LesServer } from '../../src/serve/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { LesTestClient, waitFor } from '../helpers/les-client.js';

let anvil: Anvil;
let server: LesServer;
let admin: ServeAdmin;
let client: LesTestClient;
let now = 1_800_000_000;
let stops = 0;
const tokens: Record<string, string> = {};
let ownerToken: string;

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));

async function post(token: string | undefined, method: string, params: unknown[]): Promise<{ status: number; body: unknown }> {
  const res = await fetch(admin.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: stringifyJson({ jsonrpc: '2.0', id: 7, method, params }),
  });
  return { status: res.status, body: parseJson(await res.text()) };
}

/** Everything a mutating call could change. */
async function state(): Promise<string> {
  const owner = new AdminClient({ url: admin.url, token: ownerToken });
  const read = async (m: string, p: unknown[] = []) => (await owner.call(m, p)).result;
  const sessions = (await read('sessions')) as Array<Record<string, unknown>>;
  return stringifyJson({
    clients: Object.values((await read('les_clientInfo', [[]])) as Record<string, Record<string, unknown>>).map((c) => [c.capacity, c['pricing/balance'], c['pricing/balanceMeta']]),
    balance: Object.entries((await read('les_priorityClientInfo', ['0x' + '00'.repeat(32), '0x' + '00'.repeat(32), 100])) as Record<string, Record<string, unknown>>)
      .map(([id, c]) => [id, c['pricing/balance'], c['pricing/balanceMeta'], c['pricing/negBalance']]),
    prices: [server.pool.defaults, server.pool.clients().map((c) => c.prices)],
    sessions: sessions.map((s) => [s.id, s.logged, s.closing]),
    peers: await read('peers'),
    urls: server.stack.rpc.urls,
    tokens: ((await read('sessions.list')) as Array<Record<string, unknown>>).map((t) => [t.id, t.label, t.revoked_at, t.expiry]),
    connected: client.closed === undefined,
    stops,
  });
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('anvil_mine', ['0x4']);
  server = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50 });
  await server.start();
  admin = await startServeAdmin({ server, port: 0, onStop: () => stops++, now: () => now, peerProbeEveryMs: 0 });
  ownerToken = admin.created as string;
  const owner = new AdminClient({ url: admin.url, token: ownerToken });
  const add = async (label: string, type: string, expiry = 0, perms?: string[]) => ((await owner.call('sessions.add', [label, type, expiry, perms])).result as { token: string }).token;
  tokens.readonly = await add('reader', 'readonly');
  tokens.revoked = await add('gone', 'admin');
  tokens.expired = await add('old', 'admin', now + 60);
  tokens.custom = await add('payments', 'custom', 0, ['balance:write', 'balance:read']);
  const list = (await owner.call('sessions.list', ['all'])).result as Array<{ id: string; label: string }>;
  await owner.call('sessions.revoke', [list.find((t) => t.label === 'gone')!.id]);
  now += 60;
  // Free service, so balances stand still while the matrix runs.
  const free = { 'pricing/timeFactor': 0, 'pricing/capacityFactor': 0, 'pricing/requestCostFactor': 0 };
  await owner.call('les_setDefaultParams', [{ ...free, ...Object.fromEntries(Object.entries(free).map(([k, v]) => [k.replace('pricing/', 'pricing/negative/'), v])) }]);
  const genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
  client = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis });
  await waitFor(() => server.service.sessions.length === 1, 5000, 'client connected');
  await owner.call('les_addBalance', [ethers.keccak256(client.node.id), 5_000_000, 'seed']);
});

after(async () => {
  await client?.close();
  await admin?.close();
  await server?.stop();
  await anvil?.stop();
});

describe('access matrix', () => {
  it('no token, a wrong, revoked or expired token, and a readonly token are refused every mutating method, changing nothing', async () => {
    const id = ethers.keccak256(client.node.id).slice(2);
    const mutating: Array<[string, unknown[]]> = [
      ['les_addBalance', [id, 1000, 'x']],
      ['les_setClientParams', [[id], { 'pricing/timeFactor': 5 }]],
      ['les_setDefaultParams', [{ 'pricing/timeFactor': 5 }]],
      ['disconnect', [id]],
      ['log', [id]],
      ['add_peer', [`enode://${ethers.SigningKey.computePublicKey(ethers.randomBytes(32), false).slice(4)}@127.0.0.1:30399`]],
      ['rpc_url', ['http://127.0.0.1:1/']], // would be taken: a URL that does not answer now is accepted
      ['stop', []],
      ['sessions.add', ['intruder', 'admin', 0]],
      ['sessions.revoke', [((await new AdminClient({ url: admin.url, token: ownerToken }).call('sessions.list')).result as Array<{ id: string }>)[0]!.id]],
    ];
    const credentials: Array<[string, string | undefined]> = [
      ['no token', undefined],
      ['wrong token', 'lesp_' + Buffer.from(ethers.randomBytes(32)).toString('base64url')],
      ['revoked token', tokens.revoked],
      ['expired token', tokens.expired],
      ['readonly token', tokens.readonly],
    ];
    const before = await state();
    let checked = 0;
    for (const [who, token] of credentials) {
      for (const [method, params] of mutating) {
        const r = await post(token, method, params);
        assert.equal(r.status, 401, `${who} → ${method}`);
        assert.deepEqual(r.body, { jsonrpc: '2.0', id: who === 'readonly token' ? 7 : null, error: { code: -32001, message: 'unauthorized' } }, `${who} → ${method}`);
        checked++;
      }
    }
    assert.equal(checked, 50);
    await new Promise((r) => setTimeout(r, 50)); // anything wrongly scheduled after a refusal would have run
    assert.equal(await state(), before, 'nothing changed');
    assert.equal(client.closed, undefined);
  });

  it('a readonly token reads everything; a custom token does exactly what it lists', async () => {
    const reader = new AdminClient({ url: admin.url, token: tokens.readonly! });
    for (const [m, p] of [['getinfo', []], ['sessions', []], ['groups', []], ['peers', []], ['sessions.list', []], ['les_serverInfo', []], ['les_clientInfo', [[]]], ['les_priorityClientInfo', ['0x' + '00'.repeat(32), '0x' + '00'.repeat(32), 10]], ['les_getCheckpointContractAddress', []]] as Array<[string, unknown[]]>) {
      try {
        await reader.call(m, p);
      } catch (e) {
        // Reads that fail for a reason of their own (no oracle configured) are not refusals.
        assert.ok(e instanceof AdminClientError && e.kind === 'rpc' && e.rpcCode !== -32001, `${m}: ${String(e)}`);
      }
    }
    const payments = new AdminClient({ url: admin.url, token: tokens.custom! });
    const id = ethers.keccak256(client.node.id).slice(2);
    assert.deepEqual((await payments.call('les_addBalance', [id, 1, 'custom'])).result, [5_000_000, 5_000_001]);
    await assert.rejects(payments.call('les_setDefaultParams', [{ 'pricing/timeFactor': 1 }]), (e: unknown) => e instanceof AdminClientError && e.kind === 'unauthorized');
    await assert.rejects(payments.call('getinfo'), (e: unknown) => e instanceof AdminClientError && e.kind === 'unauthorized');
  });

  it('a token given by flag or environment is a full-access token kept in memory; a short one is refused', async () => {
    const given = 'operator-chosen-token-0123456789';
    const second = await startServeAdmin({ server, port: 0, token: given, onStop: () => {}, peerProbeEveryMs: 0 });
    try {
      assert.equal(second.created, undefined, 'nothing created, nothing to print');
      const c = new AdminClient({ url: second.url, token: given });
      assert.equal(((await c.call('getinfo')).result as { sessions: number }).sessions, 1);
      assert.deepEqual((await c.call('sessions.list')).result, [], 'not a stored session');
      await assert.rejects(new AdminClient({ url: second.url, token: ownerToken }).call('getinfo'), (e: unknown) => e instanceof AdminClientError && e.kind === 'unauthorized');
    } finally {
      await second.close();
    }
    await assert.rejects(startServeAdmin({ server, port: 0, token: 'short', onStop: () => {} }), /at least 16 characters/);
  });

  it('listens on 127.0.0.1 by default', () => {
    assert.equal(admin.rpc.address?.address, '127.0.0.1');
    assert.match(admin.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
