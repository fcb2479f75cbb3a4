/**
 * Why a server could not be used, and what the caller is told: each net error's one-line reason
 * and whether it lasts (start fails at once) or not (start keeps trying); the network hint in the
 * library's and the CLI's words; a lasting reason not overwritten by the refusals that echo it.
 * And option mistakes in `new LesProvider(...)` / `new LesClient(...)`: a ConfigError naming the
 * option, `new LesProvider()` included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { ConfigError } from '../../../src/config/network.js';
import { LesClient } from '../../../src/client/engine/index.js';
import { LesProvider } from '../../../src/client/provider.js';
import { createEip1193Provider } from '../../../src/client/eip1193.js';
import { StartFailures, describeFailure, failureSummary } from '../../../src/client/servers/index.js';
import { DialError, HandshakeError, PeerClosedError } from '../../../src/net/errors.js';
import { DisconnectReason } from '../../../src/net/disconnect.js';

const AT = { address: '127.0.0.1:30303', id: 'ab'.repeat(64) };
const ID = Buffer.from(secp256k1.getPublicKey(secp256k1.utils.randomPrivateKey(), false).subarray(1)).toString('hex');
const ENODE = `enode://${ID}@127.0.0.1:30303`;
const GENESIS = `0x${'11'.repeat(32)}`;
const refusedTcp = (): DialError => {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:30303'), { code: 'ECONNREFUSED' });
  return new DialError('CONNECT_FAILED', `cannot connect to 127.0.0.1:30303: ${cause.message}`, { cause });
};
const wrongNetwork = (): HandshakeError => new HandshakeError('NETWORK_MISMATCH', 'networkId 31337 ≠ 1', { field: 'networkId', remote: 31337n, local: 1n });

describe('server failures', () => {
  it('a wrong network lasts and hints at the built-in network the server is on, in the caller’s words', () => {
    const f = describeFailure(wrongNetwork(), AT);
    assert.equal(f.lasting, true);
    assert.deepEqual(f.hint, { option: 'network', value: 'devnet' });
    assert.equal(failureSummary([f]), "127.0.0.1:30303: networkId 31337 ≠ 1 (did you mean network: 'devnet'?)");
    assert.equal(failureSummary([f], (h) => `did you mean --${h.option} ${h.value}?`), '127.0.0.1:30303: networkId 31337 ≠ 1 (did you mean --network devnet?)');
  });

  it('no hint for a network id no built-in network has', () => {
    const f = describeFailure(new HandshakeError('NETWORK_MISMATCH', 'networkId 5 ≠ 1', { remote: 5n, local: 1n }), AT);
    assert.equal(f.hint, undefined);
    assert.equal(failureSummary([f]), '127.0.0.1:30303: networkId 5 ≠ 1');
  });

  it('genesis and not-a-server refusals last; timeouts, refused TCP and a remote Disconnect do not', () => {
    assert.equal(describeFailure(new HandshakeError('GENESIS_MISMATCH', 'genesis differs (theirs 0x1, ours 0x2)'), AT).lasting, true);
    assert.equal(describeFailure(new HandshakeError('NOT_A_SERVER', 'remote Status lacks flowControl/BL: not an LES server'), AT).lasting, true);
    assert.equal(describeFailure(new HandshakeError('HANDSHAKE_TIMEOUT', 'no Status within 5000 ms'), AT).lasting, false);
    assert.equal(describeFailure(new DialError('DIAL_TIMEOUT', 'no handshake with 127.0.0.1:30303 within 15000 ms'), AT).lasting, false);
    const tcp = describeFailure(refusedTcp(), AT);
    assert.deepEqual([tcp.reason, tcp.lasting], ['connection refused', false]);
    const full = describeFailure(new PeerClosedError(DisconnectReason.TooManyPeers, 'remote'), AT);
    assert.deepEqual([full.reason, full.lasting], ['refused: TooManyPeers', false]);
  });

  it('a dropped RLPx auth lasts from its second time in a row (a restarting node drops one too)', () => {
    const dropped = (): DialError => new DialError('AUTH_DROPPED', `node id at ${AT.address} is not abababababababab…: the node there dropped our RLPx auth, which only that node id can read`);
    const s = new StartFailures([AT]);
    s.record(AT.id, dropped());
    assert.equal(s.hopeless(), false);
    s.record(AT.id, dropped());
    assert.equal(s.hopeless(), true);
    // The reason names the address itself: no prefix.
    assert.match(failureSummary(s.failures()), /^node id at 127\.0\.0\.1:30303 is not abab/);
  });

  it('hopeless only once every configured server failed for a lasting reason; a lasting reason is not overwritten by a transient echo', () => {
    const other = { address: '127.0.0.1:30304', id: 'cd'.repeat(64) };
    const s = new StartFailures([AT, other]);
    s.record(AT.id, wrongNetwork());
    assert.equal(s.hopeless(), false);
    s.record(other.id, refusedTcp());
    assert.equal(s.hopeless(), false);
    s.record(AT.id, new DialError('CONNECTION_CLOSED', 'refused: AlreadyConnected (RLPx Disconnect before the LES handshake)'));
    assert.equal(s.failures()[0]?.reason, 'networkId 31337 ≠ 1');
    s.record(other.id, new HandshakeError('GENESIS_MISMATCH', 'genesis differs (theirs 0x1, ours 0x2)'));
    assert.equal(s.hopeless(), true);
    const cause = s.cause();
    assert.ok(cause instanceof AggregateError && cause.errors.length === 2);
    assert.equal(s.record('ef'.repeat(64), refusedTcp()), undefined, 'a server not configured is not counted');
  });
});

describe('servers that drop us after the handshake', () => {
  it('a drop at once reads "refused: <reason>", a later one "disconnected: <reason>"; neither lasts nor overwrites a lasting reason', () => {
    const s = new StartFailures([AT]);
    s.record(AT.id, refusedTcp());
    s.recordDrop(AT.id, 'TooManyPeers', true);
    assert.deepEqual([s.failures()[0]?.reason, s.failures()[0]?.lasting, s.hopeless()], ['refused: TooManyPeers', false, false]);
    assert.equal((s.cause() as { code?: string }).code, 'SERVER_DROPPED');
    s.recordDrop(AT.id, 'SocketClosed', false);
    assert.equal(s.failures()[0]?.reason, 'disconnected: SocketClosed');
    s.record(AT.id, wrongNetwork());
    s.recordDrop(AT.id, 'TooManyPeers', true);
    assert.equal(s.failures()[0]?.reason, 'networkId 31337 ≠ 1');
  });
});

describe('option mistakes are ConfigErrors naming the option', () => {
  const isConfig = (field: string) => (e: unknown) => e instanceof ConfigError && e.field === field && !e.message.includes('\n');

  it('new LesProvider() (and createEip1193Provider()) with no options names `servers` and how to give them (no TypeError)', () => {
    assert.throws(() => new (LesProvider as unknown as new () => LesProvider)(), isConfig('servers'));
    assert.throws(() => new LesProvider({} as never), isConfig('servers'));
    assert.throws(() => new (LesClient as unknown as new () => LesClient)(), isConfig('servers'));
    assert.throws(() => (createEip1193Provider as unknown as () => unknown)(), isConfig('servers'));
  });

  it('a misspelt option is named, with the one meant', () => {
    assert.throws(
      () => new LesProvider({ server: [ENODE] } as never),
      (e: unknown) => e instanceof ConfigError && e.field === 'server' && /did you mean servers\?/.test(e.message),
    );
    assert.throws(() => new LesProvider({ servers: [{ enode: ENODE, trusted: true }], network: 'devnet', genesisHash: GENESIS, timeout: {} } as never), (e: unknown) => e instanceof ConfigError && /did you mean timeouts\?/.test(e.message));
  });

  const base = { servers: [{ enode: ENODE, trusted: true }], network: 'devnet', genesisHash: GENESIS };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['servers not a list', { servers: ENODE }, 'servers'],
    ['a server that is neither URL nor object', { servers: [42] }, 'servers[0]'],
    ['a bad enode URL', { servers: ['enode://nope'] }, 'servers[0]'],
    ['a genesis hash of the wrong length', { genesisHash: '0x1234' }, 'genesisHash'],
    ['a genesis hash with non-hex digits', { genesisHash: `0x${'zz'.repeat(32)}` }, 'genesisHash'],
    ['a negative start timeout', { timeouts: { startMs: -1 } }, 'timeouts.startMs'],
    ['a string timeout', { timeouts: { requestMs: '5000' } }, 'timeouts.requestMs'],
    ['a private key of 31 bytes', { privateKey: new Uint8Array(31) }, 'privateKey'],
    ['a logger without methods', { logger: {} }, 'logger'],
    ['an unknown network name', { network: 'nonesuch' }, 'network'],
    ['a cache size below 0', { cacheSizes: { headers: -5 } }, 'cacheSizes.headers'],
    ['a provider burst of 0', { maxBlockBurst: 0 }, 'maxBlockBurst'],
    ['a negative stall time', { batchStallTime: -1 }, 'batchStallTime'],
  ];
  for (const [what, change, field] of cases) {
    it(what, () => assert.throws(() => new LesProvider({ ...base, ...change } as never), isConfig(field)));
  }

  it('good options construct (nothing is dialed before start)', async () => {
    const p = new LesProvider(base as never);
    await p.close();
  });
});
