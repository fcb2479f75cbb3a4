/**
 * Dialing what discovery finds: never more than maxServers at a time, a node already in the pool
 * is not added twice, a failed node is left alone for its backoff while another fills its slot,
 * and only a node id the options trust comes in trusted. The Discovery is real (not started); its
 * 'node' events are emitted here as DPT would emit them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { DiscoveredServers, type DiscoveredSink } from '../../../src/client/servers/discovered.js';
import type { DiscoveredNode } from '../../../src/net/discovery.js';
import { formatEnode, nodeIdFromPrivateKey } from '../../../src/net/enode.js';
import { silentLogger } from '../../../src/client/scheduler/types.js';

function node(port: number): DiscoveredNode {
  const id = nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey());
  const enode = formatEnode({ id, host: '127.0.0.1', port });
  return { id: Buffer.from(id).toString('hex'), host: '127.0.0.1', tcpPort: port, udpPort: port, enode };
}

function harness(maxServers: number, trusted: string[] = []) {
  const added: Array<{ enode: string; trusted: boolean }> = [];
  const inPool = new Set<string>();
  const sink: DiscoveredSink = {
    has: (id) => inPool.has(id),
    addDiscovered: (enode, t) => {
      added.push({ enode, trusted: t });
      inPool.add((/^enode:\/\/([0-9a-f]{128})@/.exec(enode) as RegExpExecArray)[1] as string);
    },
    discoveredCount: () => inPool.size,
  };
  const d = new DiscoveredServers({ bootnodes: [], maxServers }, { privateKey: secp256k1.utils.randomPrivateKey(), sink, trusted: new Set(trusted), logger: silentLogger });
  return { d, added, inPool };
}

describe('discovered servers', () => {
  it('dials at most maxServers at a time and fills a freed slot with another node, not the failed one', () => {
    const { d, added, inPool } = harness(2);
    const nodes = [node(30001), node(30002), node(30003), node(30004)];
    for (const n of nodes) d.discovery.emit('node', n);
    assert.deepEqual(added.map((a) => a.enode), [nodes[0]?.enode, nodes[1]?.enode]);
    // The first one's dial failed: the pool forgot it.
    const first = nodes[0] as DiscoveredNode;
    inPool.delete(first.id);
    d.forgotten(first.id, true);
    // Its slot is filled from the table (empty here: nothing is started), so by the next node found.
    d.discovery.emit('node', first);
    assert.equal(added.length, 2, 'the failed node waits out its backoff');
    d.discovery.emit('node', nodes[2] as DiscoveredNode);
    assert.equal(added.length, 3);
    assert.equal(added[2]?.enode, nodes[2]?.enode);
    assert.equal(inPool.size, 2);
  });

  it('does not add a node the pool already has; only a node id in the trusted set comes in trusted', () => {
    const trustedNode = node(30011);
    const { d, added, inPool } = harness(8, [trustedNode.id]);
    const other = node(30012);
    inPool.add(other.id); // configured already
    d.discovery.emit('node', other);
    d.discovery.emit('node', trustedNode);
    d.discovery.emit('node', node(30013));
    assert.deepEqual(added.map((a) => a.trusted), [true, false]);
    assert.equal(added[0]?.enode, trustedNode.enode);
  });

  it('maxServers 0 dials nothing; a negative bound is refused', () => {
    const { d, added } = harness(0);
    d.discovery.emit('node', node(30021));
    assert.equal(added.length, 0);
    assert.throws(() => harness(-1), /maxServers/);
  });
});
