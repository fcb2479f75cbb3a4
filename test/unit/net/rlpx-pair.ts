/**
 * For the net integration tests: a serving LesNode and a client LesNode on 127.0.0.1 (free
 * ports), the client dialed to the server, and both handshaken peers.
 */
import { once } from 'node:events';
import { LesNode, type LesNodeOptions } from '../../../src/net/node.js';
import type { LesPeer } from '../../../src/net/peer.js';
import type { LesVersion } from '../../../src/wire/codes.js';
import { clientStatus, serverStatus } from './fixtures.js';

export interface Pair {
  server: LesNode;
  client: LesNode;
  /** The client's view of the server. */
  toServer: LesPeer;
  /** The server's view of the client. */
  toClient: LesPeer;
  close(): Promise<void>;
}

export function nodes(
  opts: { serverVersions?: LesVersion[]; clientVersions?: LesVersion[]; server?: Partial<LesNodeOptions>; client?: Partial<LesNodeOptions> } = {},
): { server: LesNode; client: LesNode } {
  const server = new LesNode({ role: 'server', status: serverStatus(), versions: opts.serverVersions, ...opts.server });
  const client = new LesNode({ role: 'client', status: clientStatus(), versions: opts.clientVersions, ...opts.client });
  return { server, client };
}

export async function startPair(opts: Parameters<typeof nodes>[0] = {}): Promise<Pair> {
  const { server, client } = nodes(opts);
  const close = async () => {
    await Promise.all([client.close(), server.close()]);
  };
  try {
    await server.listen(0);
    const serverSide = once(server, 'peer') as Promise<[LesPeer]>;
    const toServer = await client.dial(server.enode);
    const [toClient] = await serverSide;
    return { server, client, toServer, toClient, close };
  } catch (err) {
    await close();
    throw err;
  }
}
