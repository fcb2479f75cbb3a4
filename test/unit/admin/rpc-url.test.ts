/**
 * The node URL list behind `rpc_url` (after seed 001's daemon_url): calls go to the current URL;
 * a call that gets no answer moves the next call to the next URL; setUrls replaces the list and
 * goes back to its first URL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeRpcClient } from '../../../src/serve/rpc/client.js';

function fakeFetch(down: Set<string>, seen: string[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    seen.push(url);
    if (down.has(url)) throw new TypeError('fetch failed');
    const body = JSON.parse(String(init?.body)) as { id: number };
    return new Response(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: url }), { status: 200 });
  }) as typeof fetch;
}

describe('NodeRpcClient URL list', () => {
  it('fails over to the next URL after a call gets no answer, and setUrls rotates back to the first', async () => {
    const down = new Set(['http://a/']);
    const seen: string[] = [];
    const rpc = new NodeRpcClient({ url: 'http://a/', fallbackUrls: ['http://b/'], retries: 0, fetch: fakeFetch(down, seen) });
    await assert.rejects(rpc.call('eth_blockNumber'), /cannot reach http:\/\/a\//);
    assert.equal(rpc.url, 'http://b/');
    assert.equal(await rpc.call('eth_blockNumber'), 'http://b/');
    down.clear();
    rpc.setUrls(['http://c/', 'http://a/']);
    assert.deepEqual(rpc.urls, ['http://c/', 'http://a/']);
    assert.equal(await rpc.call('eth_blockNumber'), 'http://c/');
    rpc.setUrls(['http://a/']);
    assert.equal(await rpc.call('eth_blockNumber'), 'http://a/');
    assert.deepEqual(seen, ['http://a/', 'http://b/', 'http://c/', 'http://a/']);
    assert.throws(() => rpc.setUrls([]), RangeError);
  });

  it('with retries, a read retried after a failure goes to the next URL', async () => {
    const seen: string[] = [];
    const rpc = new NodeRpcClient({ url: 'http://a/', fallbackUrls: ['http://b/'], retries: 1, retryDelayMs: 1, fetch: fakeFetch(new Set(['http://a/']), seen) });
    assert.equal(await rpc.call('eth_chainId'), 'http://b/');
    assert.deepEqual(seen, ['http://a/', 'http://b/']);
  });
});
