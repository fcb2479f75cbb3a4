/**
 * The management endpoint over real HTTP on 127.0.0.1, with a small method table: every refusal
 * of access — no token, a malformed header, a wrong, revoked or expired token, a readonly or
 * custom token calling what it may not — is HTTP 401 with the same JSON-RPC body (-32001,
 * "unauthorized", nothing more) and changes nothing, also inside a batch; JSON-RPC 2.0 errors for
 * bad requests; the endpoint listens on the loopback address it was given and nowhere else.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AdminRpcServer, type AdminMethod, TokenStore, entitiesOf, invalidParams, parseJson, tokenMethods } from '../../../src/admin/index.js';

let counter = 0;
let server: AdminRpcServer;
let tokens: TokenStore;
let url: string;
let t = 1_700_000_000;
const tok: Record<string, string> = {};

const methods = new Map<string, AdminMethod>([
  ['count_get', { permission: 'count:read', handler: () => counter }],
  ['count_add', {
    permission: 'count:write',
    handler: (params) => {
      const n = params[0];
      if (typeof n !== 'number') throw invalidParams('n', 'expected a number');
      counter += n;
      return counter;
    },
  }],
  ['big', { permission: 'count:read', handler: (params) => [params[0], 2n ** 63n - 1n] }],
]);

async function post(body: unknown, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text === '' ? undefined : parseJson(text) };
}

const call = (method: string, params: unknown[] = [], id: number | string = 1) => ({ jsonrpc: '2.0', id, method, params });

before(async () => {
  tokens = await TokenStore.open({ now: () => t });
  for (const [name, m] of tokenMethods(tokens, () => entitiesOf(methods))) methods.set(name, m);
  tok.admin = (await tokens.add('admin', 'admin', 0, undefined, entitiesOf(methods))).token;
  tok.readonly = (await tokens.add('ro', 'readonly', 0, undefined, entitiesOf(methods))).token;
  tok.custom = (await tokens.add('adder', 'custom', 0, ['count:write'], entitiesOf(methods))).token;
  tok.revoked = (await tokens.add('gone', 'admin', 0, undefined, entitiesOf(methods))).token;
  tok.expired = (await tokens.add('old', 'admin', t + 10, undefined, entitiesOf(methods))).token;
  await tokens.revoke(tokens.list().find((v) => v.label === 'gone')!.id);
  t += 10;
  server = new AdminRpcServer({ host: '127.0.0.1', port: 0, tokens, methods });
  url = await server.listen();
});

after(async () => {
  await server?.close();
});

describe('access', () => {
  it('refuses every bad credential and every missing permission the same way, changing nothing', async () => {
    const refusals: Array<[string, Promise<{ status: number; text: string }>]> = [
      ['no token', post(call('count_add', [1]))],
      ['not bearer', post(call('count_add', [1]), undefined, { authorization: `Basic ${tok.admin}` })],
      ['wrong token', post(call('count_add', [1]), 'lesp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')],
      ['revoked', post(call('count_add', [1]), tok.revoked)],
      ['expired', post(call('count_add', [1]), tok.expired)],
      ['readonly writing', post(call('count_add', [1]), tok.readonly)],
      ['readonly adding a token', post(call('sessions.add', ['x', 'admin', 0]), tok.readonly)],
      ['readonly revoking', post(call('sessions.revoke', ['x']), tok.readonly)],
      ['custom reading what it lacks', post(call('count_get'), tok.custom)],
      ['batch with one refused call', post([call('count_get', [], 1), call('count_add', [5], 2)], tok.readonly)],
      ['GET without token', fetch(url).then(async (r) => ({ status: r.status, text: await r.text() }))],
    ];
    const bodies = new Set<string>();
    for (const [what, p] of refusals) {
      const r = await p;
      assert.equal(r.status, 401, what);
      const body = parseJson(r.text) as { id: unknown; error: { code: number; message: string; data?: unknown } };
      assert.equal(body.error.code, -32001, what);
      assert.equal(body.error.message, 'unauthorized', what);
      assert.equal(body.error.data, undefined, what);
      bodies.add(JSON.stringify({ ...body, id: null }));
    }
    assert.equal(bodies.size, 1, 'no refusal says why');
    assert.equal(counter, 0, 'nothing ran');
    assert.equal(tokens.list().length, 5, 'no token added');
    assert.equal(tokens.list('revoked').length, 1);
  });

  it('lets each token do what it may', async () => {
    assert.deepEqual((await post(call('count_add', [2]), tok.custom)).json, { jsonrpc: '2.0', id: 1, result: 2 });
    assert.deepEqual((await post(call('count_get'), tok.readonly)).json, { jsonrpc: '2.0', id: 1, result: 2 });
    assert.deepEqual((await post(call('count_add', [3]), tok.admin)).json, { jsonrpc: '2.0', id: 1, result: 5 });
    const listed = (await post(call('sessions.list', ['inuse']), tok.readonly)).json as { result: Array<{ label: string }> };
    assert.deepEqual(listed.result.map((v) => v.label).sort(), ['admin', 'adder', 'ro'].sort());
  });

  it('listens on the loopback address given, not on another one', async () => {
    assert.equal(server.address?.address, '127.0.0.1');
    // 127.0.0.2 is loopback too on Linux: a socket bound to 127.0.0.1 does not answer there.
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.2', port: server.address!.port });
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
  });
});

describe('JSON-RPC 2.0', () => {
  it('answers parse errors, invalid requests, unknown methods, bad params', async () => {
    const err = async (body: unknown) => ((await post(body, tok.admin)).json as { error: { code: number; message: string } }).error;
    assert.equal((await err('{"jsonrpc":')).code, -32700);
    assert.equal((await err({ jsonrpc: '1.0', id: 1, method: 'count_get' })).code, -32600);
    assert.equal((await err({ jsonrpc: '2.0', id: 1, method: 7 })).code, -32600);
    assert.equal((await err([])).code, -32600);
    const unknown = await err(call('nope'));
    assert.equal(unknown.code, -32601);
    assert.equal(unknown.message, 'the method nope does not exist/is not available');
    const bad = (await post(call('count_add', ['x']), tok.admin)).json as { error: { code: number; message: string; data: unknown } };
    assert.deepEqual(bad.error, { code: -32602, message: 'n: expected a number', data: { field: 'n' } });
    assert.equal((await err({ jsonrpc: '2.0', id: 1, method: 'count_get', params: { a: 1 } })).code, -32602);
  });

  it('runs a batch in order, skips notifications, and carries integers beyond 2^53 exactly', async () => {
    const r = await post([call('count_add', [1], 'a'), { jsonrpc: '2.0', method: 'count_add', params: [10] }, call('count_get', [], 'b')], tok.admin);
    const answers = r.json as Array<{ id: string; result: number }>;
    assert.deepEqual(answers.map((a) => [a.id, a.result]), [['a', 6], ['b', 16]]);
    const big = await post('{"jsonrpc":"2.0","id":3,"method":"big","params":[18446744073709551615]}', tok.admin);
    assert.equal(big.text, '{"jsonrpc":"2.0","id":3,"result":[18446744073709551615,9223372036854775807]}');
    const notification = await post({ jsonrpc: '2.0', method: 'count_get' }, tok.admin);
    assert.equal(notification.status, 204);
  });
});

describe('granting tokens', () => {
  it('lets a token grant at most its own permissions and its own life, never an admin token', async () => {
    const entities = entitiesOf(methods);
    const minter = (await tokens.add('minter', 'custom', t + 3600, ['tokens:write', 'tokens:read', 'count:read'], entities)).token;
    const before = tokens.list().length;
    const refused = async (params: unknown[], field: string) => {
      const r = (await post(call('sessions.add', params), minter)).json as { error?: { code: number; data?: { field?: string } } };
      assert.equal(r.error?.code, -32602, `${JSON.stringify(params)}: ${JSON.stringify(r)}`);
      assert.equal(r.error?.data?.field, field, JSON.stringify(params));
    };
    await refused(['root', 'admin', t + 60], 'type');
    await refused(['w', 'custom', t + 60, ['count:read', 'count:write']], 'permissions[1]');
    await refused(['forever', 'custom', 0, ['count:read']], 'expiry');
    await refused(['longer', 'custom', t + 7200, ['count:read']], 'expiry');
    assert.equal(tokens.list().length, before, 'nothing was added');

    const ok = (await post(call('sessions.add', ['sub', 'custom', t + 60, ['count:read', 'tokens:write']]), minter)).json as { result?: { token: string; type: string } };
    assert.equal(ok.result?.type, 'custom', JSON.stringify(ok));
    // The minter reads every entity here (count, tokens), so a readonly token is within what it holds.
    const reader = (await post(call('sessions.add', ['reader', 'readonly', t + 60]), minter)).json as { result?: { type: string } };
    assert.equal(reader.result?.type, 'readonly', JSON.stringify(reader));
    // The new token cannot climb either: it may not grant what its grantor lacked.
    const sub = ok.result!.token;
    const again = (await post(call('sessions.add', ['root', 'admin', t + 30]), sub)).json as { error?: { code: number } };
    assert.equal(again.error?.code, -32602);
    const ro = (await post(call('sessions.add', ['ro2', 'readonly', t + 30]), sub)).json as { error?: { code: number; data?: { field?: string } } };
    assert.equal(ro.error?.data?.field, 'type', 'a readonly token reads tokens, which sub does not');
    // An admin token grants anything.
    const fromAdmin = (await post(call('sessions.add', ['root2', 'admin', 0]), tok.admin)).json as { result?: { type: string } };
    assert.equal(fromAdmin.result?.type, 'admin');
  });
});
