/**
 * The devnet beacon chain's beacon API: the light-client endpoints a beacon node serves
 * (`/eth/v1/beacon/light_client/{bootstrap/{root},updates,finality_update,optimistic_update}`) and
 * `/eth/v1/beacon/genesis`, JSON in the API's form, on a loopback port. A server made with
 * `negative` serves one of the negative cases in place of every update, for tests of refusal.
 */
import { type Server, createServer } from 'node:http';
import { type LightClientKind, type LightClientValues, toBeaconJson } from '../../verify/beacon/index.js';
import type { DevnetBeacon } from './devnet-beacon.js';
import { type NegativeCase, negativeUpdates } from './negative.js';

/** The spec's MAX_REQUEST_LIGHT_CLIENT_UPDATES. */
export const MAX_REQUEST_LIGHT_CLIENT_UPDATES = 128;
const FORK = 'electra';

export interface BeaconRestServer {
  url: string;
  close(): Promise<void>;
}

export interface BeaconRestOptions {
  host?: string;
  port?: number;
  negative?: NegativeCase;
}

type Reply = { status: number; json: unknown };

export function beaconApiHandler(beacon: DevnetBeacon, negative?: NegativeCase): (path: string, query: URLSearchParams) => Reply {
  const config = beacon.config;
  const wrap = <K extends LightClientKind>(kind: K, value: LightClientValues[K]) => ({ version: FORK, data: toBeaconJson(config, FORK, kind, value) });
  const missing = (message: string): Reply => ({ status: 404, json: { code: 404, message } });
  const spoiled = () => {
    const u = beacon.finalityUpdate();
    return u === undefined || negative === undefined ? undefined : negativeUpdates(beacon.chain, negative, u.attested_header.beacon.slot, u.signature_slot);
  };
  return (path, query) => {
    const boot = /^\/eth\/v1\/beacon\/light_client\/bootstrap\/(0x[0-9a-fA-F]{64})$/.exec(path);
    if (boot !== null) {
      const b = beacon.bootstrap(boot[1] as string);
      return b === undefined ? missing('unknown block root') : { status: 200, json: wrap('LightClientBootstrap', b) };
    }
    if (path === '/eth/v1/beacon/light_client/updates') {
      const start = query.get('start_period') ?? '';
      const count = query.get('count') ?? '';
      if (!/^\d{1,15}$/.test(start) || !/^\d{1,4}$/.test(count)) return { status: 400, json: { code: 400, message: 'start_period and count must be unsigned integers' } };
      const n = Math.min(Number(count), MAX_REQUEST_LIGHT_CLIENT_UPDATES);
      const bad = spoiled();
      const updates = beacon.updates(BigInt(start), n).map((u) => (bad !== undefined && u.signature_slot === bad.update.signature_slot ? bad.update : u));
      return { status: 200, json: updates.map((u) => wrap('LightClientUpdate', u)) };
    }
    if (path === '/eth/v1/beacon/light_client/finality_update') {
      const u = spoiled()?.finality ?? beacon.finalityUpdate();
      return u === undefined ? missing('no finality update yet') : { status: 200, json: wrap('LightClientFinalityUpdate', u) };
    }
    if (path === '/eth/v1/beacon/light_client/optimistic_update') {
      const u = spoiled()?.optimistic ?? beacon.optimisticUpdate();
      return u === undefined ? missing('no optimistic update yet') : { status: 200, json: wrap('LightClientOptimisticUpdate', u) };
    }
    if (path === '/eth/v1/beacon/genesis') {
      const fork = config.forks.at(-1);
      return {
        status: 200,
        json: {
          data: {
            genesis_time: String(config.genesisTime ?? 0),
            genesis_validators_root: `0x${Buffer.from(config.genesisValidatorsRoot).toString('hex')}`,
            genesis_fork_version: `0x${Buffer.from(fork?.version ?? new Uint8Array(4)).toString('hex')}`,
          },
        },
      };
    }
    return missing('not served by the devnet beacon API');
  };
}

/** Serves the beacon API of `beacon` (default 127.0.0.1 on a free port). */
export async function startBeaconRest(beacon: DevnetBeacon, o: BeaconRestOptions = {}): Promise<BeaconRestServer> {
  const handle = beaconApiHandler(beacon, o.negative);
  const server: Server = createServer((req, res) => {
    let reply: Reply;
    try {
      const u = new URL(req.url ?? '/', 'http://x');
      reply = req.method === 'GET' ? handle(u.pathname, u.searchParams) : { status: 405, json: { code: 405, message: 'GET only' } };
    } catch (err) {
      reply = { status: 500, json: { code: 500, message: (err as Error).message } };
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', 'eth-consensus-version': FORK });
    res.end(JSON.stringify(reply.json));
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, host, () => ok());
  });
  const addr = server.address() as { port: number };
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
