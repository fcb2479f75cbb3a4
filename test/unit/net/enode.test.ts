import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnodeError } from '../../../src/net/errors.js';
import { formatEnode, nodeIdFromPrivateKey, parseEnode, parseNodeId } from '../../../src/net/enode.js';

// The secp256k1 generator G and 2G (SEC 2, "Recommended Elliptic Curve Domain Parameters"):
// the public keys of private keys 1 and 2.
const G = '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8';
const G2 = 'c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee51ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a';
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const key = (n: number) => {
  const k = new Uint8Array(32);
  k[31] = n;
  return k;
};

function rejects(url: unknown, field: string) {
  assert.throws(
    () => parseEnode(url as string),
    (err: unknown) => err instanceof EnodeError && err.code === 'INVALID_ENODE' && err.field === field,
    `expected EnodeError on ${field} for ${String(url)}`,
  );
}

describe('enode URLs', () => {
  it('parses id, IPv4 host and port', () => {
    const e = parseEnode(`enode://${G}@127.0.0.1:30303`);
    assert.equal(hexOf(e.id), G);
    assert.equal(e.host, '127.0.0.1');
    assert.equal(e.port, 30303);
    assert.equal(e.discport, undefined);
  });

  it('parses a bracketed IPv6 host and a discport', () => {
    const e = parseEnode(`enode://${G2}@[::1]:30303?discport=30301`);
    assert.equal(e.host, '::1');
    assert.equal(e.port, 30303);
    assert.equal(e.discport, 30301);
  });

  it('accepts a DNS host name (localhost, a dotted name), kept as written, as go-ethereum does', () => {
    for (const host of ['localhost', 'les-1.example.org', 'node7']) {
      const e = parseEnode(`enode://${G}@${host}:30303`);
      assert.equal(e.host, host);
      assert.equal(formatEnode(e), `enode://${G}@${host}:30303`);
    }
  });

  it('accepts upper-case hex and formats lower-case', () => {
    const e = parseEnode(`enode://${G.toUpperCase()}@10.0.0.1:1`);
    assert.equal(formatEnode(e), `enode://${G}@10.0.0.1:1`);
  });

  it('formats and re-parses to the same node', () => {
    for (const url of [`enode://${G}@192.168.1.2:30303`, `enode://${G2}@[fe80::1]:9?discport=10`]) {
      assert.equal(formatEnode(parseEnode(url)), url);
    }
  });

  it('leaves out a discport equal to the TCP port', () => {
    assert.equal(formatEnode({ id: parseNodeId(G), host: '127.0.0.1', port: 5, discport: 5 }), `enode://${G}@127.0.0.1:5`);
  });

  describe('rejects each malformed part, naming it', () => {
    const cases: Array<[string, unknown, string]> = [
      ['not a string', 42, 'url'],
      ['another scheme', `enr://${G}@127.0.0.1:30303`, 'scheme'],
      ['no scheme', `${G}@127.0.0.1:30303`, 'scheme'],
      ['no @host part', `enode://${G}`, 'host'],
      ['a short node id', `enode://${G.slice(2)}@127.0.0.1:30303`, 'nodeId'],
      ['a non-hex node id', `enode://${G.slice(0, 127)}g@127.0.0.1:30303`, 'nodeId'],
      ['a 0x-prefixed node id', `enode://0x${G}@127.0.0.1:30303`, 'nodeId'],
      ['a node id off the curve', `enode://${G.slice(0, 64)}${'0'.repeat(64)}@127.0.0.1:30303`, 'nodeId'],
      ['a host name with an underscore', `enode://${G}@my_host:30303`, 'host'],
      ['a host label starting with a hyphen', `enode://${G}@-a.example:30303`, 'host'],
      ['a host label of 64 characters', `enode://${G}@${'a'.repeat(64)}.example:30303`, 'host'],
      ['an empty host', `enode://${G}@:30303`, 'host'],
      ['an all-digit last label (no dotted quad)', `enode://${G}@1.2.3:30303`, 'host'],
      ['an IPv4 octet over 255', `enode://${G}@256.0.0.1:30303`, 'host'],
      ['an unbracketed IPv6 host', `enode://${G}@::1:30303`, 'host'],
      ['an unterminated IPv6 bracket', `enode://${G}@[::1:30303`, 'host'],
      ['a bracketed non-IPv6 host', `enode://${G}@[1.2.3.4]:30303`, 'host'],
      ['no port', `enode://${G}@127.0.0.1`, 'port'],
      ['an empty port', `enode://${G}@127.0.0.1:`, 'port'],
      ['a non-numeric port', `enode://${G}@127.0.0.1:http`, 'port'],
      ['port 0', `enode://${G}@127.0.0.1:0`, 'port'],
      ['port 65536', `enode://${G}@127.0.0.1:65536`, 'port'],
      ['a trailing path', `enode://${G}@127.0.0.1:30303/x`, 'port'],
      ['an unknown query key', `enode://${G}@127.0.0.1:30303?foo=1`, 'query'],
      ['a bad discport', `enode://${G}@127.0.0.1:30303?discport=x`, 'discport'],
      ['a discport out of range', `enode://${G}@127.0.0.1:30303?discport=70000`, 'discport'],
      ['a discport given twice', `enode://${G}@127.0.0.1:30303?discport=1&discport=2`, 'discport'],
    ];
    for (const [what, url, field] of cases) it(what, () => rejects(url, field));
  });

  it('refuses to format a host that is no address nor name, or a bad id', () => {
    assert.throws(() => formatEnode({ id: parseNodeId(G), host: 'not a host', port: 1 }), (e: unknown) => e instanceof EnodeError && e.field === 'host');
    assert.throws(() => formatEnode({ id: new Uint8Array(64), host: '127.0.0.1', port: 1 }), (e: unknown) => e instanceof EnodeError && e.field === 'nodeId');
    assert.throws(() => formatEnode({ id: parseNodeId(G), host: '127.0.0.1', port: 0 }), (e: unknown) => e instanceof EnodeError && e.field === 'port');
  });
});

describe('node ids', () => {
  it('derives the node id of a private key (1 → G, 2 → 2G)', () => {
    assert.equal(hexOf(nodeIdFromPrivateKey(key(1))), G);
    assert.equal(hexOf(nodeIdFromPrivateKey(key(2))), G2);
  });

  it('rejects private keys that are not valid scalars', () => {
    for (const bad of [new Uint8Array(32), new Uint8Array(31).fill(1), new Uint8Array(32).fill(0xff)]) {
      assert.throws(() => nodeIdFromPrivateKey(bad), (e: unknown) => e instanceof EnodeError && e.code === 'INVALID_KEY' && e.field === 'privateKey');
    }
  });

  it('parses a bare or 0x-prefixed hex node id', () => {
    assert.equal(hexOf(parseNodeId(G)), G);
    assert.equal(hexOf(parseNodeId(`0x${G}`)), G);
    assert.throws(() => parseNodeId('abcd'), (e: unknown) => e instanceof EnodeError && e.field === 'nodeId');
  });
});
