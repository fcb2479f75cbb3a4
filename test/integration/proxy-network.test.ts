// `lesp proxy --network sepolia` / `--network mainnet` starts with the right chain: a real proxy
// process dials a recording LES node over RLPx on 127.0.0.1, and the Status it sends carries the
// network's id, its genesis and the EIP-2124 fork id of an unsynced node of that network — the
// published vectors: mainnet {0xfc64ec04, next 1150000} (EIP-2124's "Unsynced"), sepolia
// {0xfe3366e7, next 1735371} (go-ethereum's and erigon's forkid_test.go). A server announcing a
// fork id of another chain is refused by the proxy, in one line naming both fork ids. And
// `lesp serve --network <public network>` refuses a node of another chain, by chain id or genesis.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MAINNET, type NetworkConfig, SEPOLIA, forkIdAt } from '../../src/config/network.js';
import { LesNode, type LesPeer } from '../../src/net/index.js';
import type { Status } from '../../src/wire/status.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { spawnLesp } from '../helpers/lesp-process.js';
import { serverStatus } from '../unit/net/fixtures.js';

const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : '0x' + Buffer.from(b).toString('hex'));
const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const o of open) await o.close().catch(() => undefined);
});

/** A server-role node answering the handshake as a server of `net` at a head after BPO2; records the client's Status. */
async function recordingServer(net: NetworkConfig, forkID = forkIdAt(net, net.genesisHash as Uint8Array, 30_000_000, 1_800_000_000)) {
  const node = new LesNode({
    role: 'server',
    status: () => serverStatus({ networkId: net.networkId, genesisHash: net.genesisHash as Uint8Array, headNum: 30_000_000, forkID }),
  });
  open.push(node);
  await node.listen(0, '127.0.0.1');
  const peer = new Promise<LesPeer>((resolve) => node.once('peer', resolve));
  return { node, peer };
}

function startProxy(network: string, enode: string) {
  const id = enode.slice('enode://'.length, enode.indexOf('@'));
  const run = spawnLesp(['proxy', '--network', network, '--server', enode, '--trusted', id, '--http-port', '0', '--log-level', 'debug']);
  open.push({ close: async () => void (run.child.exitCode === null && run.child.kill('SIGTERM')) });
  return run;
}

async function statusSent(network: string, net: NetworkConfig): Promise<Status> {
  const { node, peer } = await recordingServer(net);
  startProxy(network, node.enode);
  const p = await peer;
  return p.remoteStatus as Status;
}

describe('lesp proxy --network <public network>', { timeout: 120_000 }, () => {
  it('sepolia: networkId 11155111, sepolia genesis, fork id {0xfe3366e7, 1735371}', async () => {
    const s = await statusSent('sepolia', SEPOLIA);
    assert.equal(s.networkId, 11155111n);
    assert.equal(hex(s.genesisHash), '0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9');
    assert.deepEqual({ hash: hex(s.forkID?.hash), next: s.forkID?.next }, { hash: '0xfe3366e7', next: 1_735_371n });
  });

  it('mainnet: networkId 1, mainnet genesis, fork id {0xfc64ec04, 1150000}', async () => {
    const s = await statusSent('mainnet', MAINNET);
    assert.equal(s.networkId, 1n);
    assert.equal(hex(s.genesisHash), '0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3');
    assert.deepEqual({ hash: hex(s.forkID?.hash), next: s.forkID?.next }, { hash: '0xfc64ec04', next: 1_150_000n });
  });

  it('refuses a server on the sepolia genesis announcing a fork id of no sepolia fork', async () => {
    const { node } = await recordingServer(SEPOLIA, { hash: Uint8Array.from([0x12, 0x34, 0x56, 0x78]), next: 0n });
    const run = startProxy('sepolia', node.enode);
    // The proxy hangs up at its end of the handshake and, with no other server, ends with one line naming both fork ids.
    const { code } = await run.exit;
    assert.equal(code, 1);
    const last = run.stderr().trim().split('\n').at(-1) as string;
    assert.match(last, /^lesp proxy: .*forkID rejected, local incompatible or needs update: remote 0x12345678 next 0, ours 0xfe3366e7 next 1735371/);
  });
});

describe('lesp serve --network <public network> in front of a node of another chain', { timeout: 120_000 }, () => {
  const nodes: Anvil[] = [];
  after(async () => {
    for (const n of nodes) await n.stop();
  });

  it('hoodi against a 31337 node: refused by chain id, in one line', async () => {
    const anvil = await startAnvil();
    nodes.push(anvil);
    const run = spawnLesp(['serve', '--network', 'hoodi', '--rpc', anvil.url, '--port', '0']);
    assert.equal((await run.exit).code, 1);
    assert.match(run.stderr().trim().split('\n').at(-1) as string, /^lesp serve: .*chain id is 31337, network hoodi expects 560048/);
  });

  it("sepolia against a node with sepolia's chain id but another genesis: refused by the genesis hash", async () => {
    const anvil = await startAnvil({ chainId: 11155111 });
    nodes.push(anvil);
    const run = spawnLesp(['serve', '--network', 'sepolia', '--rpc', anvil.url, '--port', '0']);
    assert.equal((await run.exit).code, 1);
    assert.match(run.stderr(), /the network's genesis is 0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9/);
  });
});
