// Transaction status and relay need servers that offer them (recentTxLookup, txRelay). Connected
// servers that do not offer them are "not served" (-32000), not "no server connected" (-32002 /
// 4900, which tells a wallet the link is down).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeaderChainView, Retriever, ServerView } from '../../../src/client/contracts.js';
import { toRpcError } from '../../../src/client/methods/errors.js';
import { OdrFacade } from '../../../src/client/odr/facade.js';
import { NotServedError } from '../../../src/client/scheduler/errors.js';

const server = (caps: Partial<ServerView['caps']>): ServerView => ({
  id: 'ab'.repeat(64),
  version: 4,
  trusted: true,
  head: { hash: new Uint8Array(32), number: 10, td: 0n },
  caps: { serveHeaders: true, txRelay: false, recentTxLookup: 1, ...caps },
  score: 1,
  rttMs: 1,
});

function facade(servers: ServerView[]): OdrFacade {
  const retriever: Retriever = {
    retrieve: () => Promise.reject(new Error('not asked in this test')),
    servers: () => servers,
  };
  return new OdrFacade({ retriever, chain: {} as HeaderChainView });
}

describe('OdrFacade: tx status and relay with servers that do not offer them', () => {
  it('connected servers without tx lookup or relay: NotServedError, mapped to -32000', async () => {
    const odr = facade([server({})]);
    for (const call of [() => odr.txStatus([new Uint8Array(32)]), () => odr.sendTransaction(Uint8Array.of(1))]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof NotServedError, String(err));
      assert.equal(toRpcError(err).code, -32000);
    }
  });

  it('no server connected at all: -32002', async () => {
    const err = await facade([]).txStatus([new Uint8Array(32)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(toRpcError(err).code, -32002);
  });
});
