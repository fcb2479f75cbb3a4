/**
 * The proxy's peer commands over a ServerPool with no server answering (dials to a closed
 * 127.0.0.1 port are refused): their permissions (a readonly token reads getpeerinfo, not
 * addnode), add → in the pool and waiting to redial, add again refused, remove → gone (no
 * redial left), remove again refused as unknown, onetry that cannot connect refused with nothing
 * left in the pool, getpeerinfo lists only connected servers, -32000 while no client runs, and
 * -32602 naming the parameter for bad input.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { AdminRpcError, type TokenRecord, allows, clientPeerMethods } from '../../../src/admin/index.js';
import { ServerPool } from '../../../src/client/servers/index.js';
import { DEVNET } from '../../../src/config/network.js';
import { formatEnode, nodeIdFromPrivateKey } from '../../../src/net/index.js';
import { freePort } from '../../helpers/anvil.js';
import { until } from '../net/fake-transport.js';

const pool = new ServerPool({ network: DEVNET, genesisHash: new Uint8Array(32).fill(7), reconnect: { initialMs: 60_000, maxMs: 60_000 } });
after(() => pool.close());

const methods = clientPeerMethods({ pool: () => pool });
const ctx = { token: {} as TokenRecord, afterResponse() {} };
const run = (name: string, params: unknown[]): Promise<unknown> => Promise.resolve(methods.get(name)?.handler(params, ctx));

async function refusal(name: string, params: unknown[]): Promise<AdminRpcError> {
  try {
    await run(name, params);
  } catch (err) {
    if (err instanceof AdminRpcError) return err;
    throw err;
  }
  throw new Error(`${name} ${JSON.stringify(params)} did not fail`);
}

async function closedEnode(): Promise<{ enode: string; id: string }> {
  const id = nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey());
  return { enode: formatEnode({ id, host: '127.0.0.1', port: await freePort() }), id: Buffer.from(id).toString('hex') };
}

const token = (type: TokenRecord['type']): TokenRecord => ({ id: 't', label: 't', type, permissions: [], hash: '', created_at: 0, expiry: 0, revoked_at: 0, last_used: 0 });

describe('client peer commands', () => {
  it('permissions: getpeerinfo is a read, addnode a write', () => {
    assert.equal(allows(token('readonly'), methods.get('getpeerinfo')?.permission as string), true);
    assert.equal(allows(token('readonly'), methods.get('addnode')?.permission as string), false);
    assert.equal(allows(token('admin'), methods.get('addnode')?.permission as string), true);
  });

  it('add puts the server in the pool (redialed after a failure); add again is refused', async () => {
    const { enode, id } = await closedEnode();
    assert.equal(await run('addnode', [enode, 'add']), true);
    const info = pool.list().find((s) => s.id === id);
    assert.equal(info?.origin, 'addnode');
    const again = await refusal('addnode', [enode, 'add']);
    assert.equal(again.rpcCode, -32602);
    assert.equal(again.field, 'enode');
    assert.match(again.message, /already added/);
    const onetry = await refusal('addnode', [enode, 'onetry']);
    assert.match(onetry.message, /already added/);
    // A refused dial of an added server waits for its redial.
    await until(() => pool.list().find((s) => s.id === id)?.state === 'waiting', 10_000);
    assert.deepEqual(await run('getpeerinfo', []), [], 'not connected: not a peer');

    assert.equal(await run('addnode', [`0x${id}`, 'remove']), true, 'remove takes a node id too');
    assert.equal(pool.list().some((s) => s.id === id), false);
    const unknown = await refusal('addnode', [enode, 'remove']);
    assert.equal(unknown.field, 'enode');
    assert.match(unknown.message, /unknown node/);
  });

  it('onetry that cannot connect is refused, and nothing is left to redial', async () => {
    const { enode, id } = await closedEnode();
    const err = await refusal('addnode', [enode, 'onetry']);
    assert.equal(err.rpcCode, -32602);
    assert.equal(err.field, 'enode');
    assert.match(err.message, /could not connect: cannot connect to 127\.0\.0\.1/);
    assert.equal(pool.list().some((s) => s.id === id), false);
  });

  it('bad input is -32602 naming the parameter', async () => {
    const { enode, id } = await closedEnode();
    const cases: Array<[unknown[], string]> = [
      [[], 'enode'],
      [[null, 'add'], 'enode'],
      [[enode], 'command'],
      [[enode, 'ADD'], 'command'],
      [[enode, 7], 'command'],
      [['enode://abc@127.0.0.1:1', 'add'], 'enode'],
      [[`enode://${id}@127.0.0.1:99999`, 'add'], 'enode'],
      [['abcd', 'remove'], 'enode'],
      [[enode, 'add', true], 'params'],
    ];
    for (const [params, field] of cases) {
      const err = await refusal('addnode', params);
      assert.equal(err.rpcCode, -32602, JSON.stringify(params));
      assert.equal(err.field, field, JSON.stringify(params));
    }
    assert.equal((await refusal('getpeerinfo', ['x'])).field, 'params');
  });

  it('-32000 while no client runs', async () => {
    const stopped = clientPeerMethods({ pool: () => undefined });
    const { enode } = await closedEnode();
    for (const [name, params] of [['getpeerinfo', []], ['addnode', [enode, 'add']]] as const) {
      await assert.rejects(async () => stopped.get(name)?.handler([...params], ctx), (e: unknown) => e instanceof AdminRpcError && e.rpcCode === -32000 && /not running/.test(e.message));
    }
  });
});
