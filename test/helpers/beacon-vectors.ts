/**
 * Reads the consensus-spec light-client sync tests (minimal preset; shared/vectors/light-client-sync,
 * its README gives the format): meta.yaml, config.yaml, steps.yaml, and snappy-block-compressed SSZ.
 * YAML is read with the failsafe schema (every scalar a string), so hex stays hex and big epochs
 * stay exact; this file converts each field itself. A step kind or key it does not know throws.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as snappy from 'snappyjs';
import { parse } from 'yaml';
import {
  type BeaconConfig,
  type BeaconFork,
  FORK_ORDER,
  type ForkName,
  MAINNET_PRESET,
  MINIMAL_PRESET,
  beaconConfig,
  computeForkDigest,
} from '../../src/verify/beacon/index.js';

/** The vectors beside the repository (as CI lays shared/ out), or LESP_BEACON_VECTORS. */
export const VECTORS_DIR = process.env.LESP_BEACON_VECTORS ?? resolve(import.meta.dirname, '../../../shared/vectors/light-client-sync');

export interface HeaderCheck {
  slot: bigint;
  beaconRoot: string;
  executionRoot: string;
}

export interface StepChecks {
  finalized: HeaderCheck;
  optimistic: HeaderCheck;
}

export type Step =
  | { kind: 'process_update'; updateForkDigest: string; update: string; currentSlot: bigint; checks: StepChecks }
  | { kind: 'force_update'; currentSlot: bigint; checks: StepChecks };

export interface VectorCase {
  /** `<fork>/<case>`, e.g. `deneb/light_client_sync`. */
  name: string;
  dir: string;
  config: BeaconConfig;
  genesisValidatorsRoot: Uint8Array;
  trustedBlockRoot: Uint8Array;
  bootstrapForkDigest: string;
  storeForkDigest: string;
  steps: Step[];
}

export const hexBytes = (s: string): Uint8Array => {
  if (!/^0x([0-9a-f]{2})*$/i.test(s)) throw new Error(`not hex: ${s}`);
  return Uint8Array.from(s.slice(2).match(/../g) ?? [], (h) => parseInt(h, 16));
};
export const bytesHex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

const readYaml = (path: string): unknown => parse(readFileSync(path, 'utf8'), { schema: 'failsafe' });

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what}: expected a mapping`);
  return v as Record<string, unknown>;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a scalar`);
  return v;
}
function onlyKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`${what}: unknown key ${k}`);
}

/** Every case directory, as `<fork>/<case>`, sorted. Throws when the vectors are not there. */
export function listCases(dir = VECTORS_DIR): string[] {
  if (!existsSync(dir)) throw new Error(`light-client vectors not found at ${dir} (set LESP_BEACON_VECTORS)`);
  const out: string[] = [];
  for (const fork of readdirSync(dir, { withFileTypes: true })) {
    if (!fork.isDirectory()) continue;
    for (const c of readdirSync(join(dir, fork.name), { withFileTypes: true })) if (c.isDirectory()) out.push(`${fork.name}/${c.name}`);
  }
  return out.sort();
}

const FAR_FUTURE = 2n ** 64n - 1n;

/** A BeaconConfig from a spec config.yaml: the preset its PRESET_BASE names and the scheduled forks. */
export function parseSpecConfig(yaml: Record<string, unknown>, genesisValidatorsRoot: Uint8Array): BeaconConfig {
  const base = str(yaml.PRESET_BASE, 'PRESET_BASE');
  const preset = base === 'minimal' ? MINIMAL_PRESET : base === 'mainnet' ? MAINNET_PRESET : undefined;
  if (preset === undefined) throw new Error(`PRESET_BASE ${base} unknown`);
  const forks: BeaconFork[] = [{ name: 'phase0', version: hexBytes(str(yaml.GENESIS_FORK_VERSION, 'GENESIS_FORK_VERSION')), epoch: 0n }];
  for (const name of FORK_ORDER.slice(1)) {
    const key = name.toUpperCase();
    if (yaml[`${key}_FORK_EPOCH`] === undefined) continue;
    const epoch = BigInt(str(yaml[`${key}_FORK_EPOCH`], `${key}_FORK_EPOCH`));
    if (epoch === FAR_FUTURE) continue;
    forks.push({ name, version: hexBytes(str(yaml[`${key}_FORK_VERSION`], `${key}_FORK_VERSION`)), epoch });
  }
  return beaconConfig({ preset, genesisValidatorsRoot, forks });
}

function parseHeaderCheck(v: unknown, what: string): HeaderCheck {
  const o = obj(v, what);
  onlyKeys(o, ['slot', 'beacon_root', 'execution_root'], what);
  return { slot: BigInt(str(o.slot, `${what}.slot`)), beaconRoot: str(o.beacon_root, what), executionRoot: str(o.execution_root, what) };
}

function parseChecks(v: unknown, what: string): StepChecks {
  const o = obj(v, what);
  onlyKeys(o, ['finalized_header', 'optimistic_header'], what);
  return { finalized: parseHeaderCheck(o.finalized_header, `${what}.finalized_header`), optimistic: parseHeaderCheck(o.optimistic_header, `${what}.optimistic_header`) };
}

function parseStep(v: unknown, i: number): Step {
  const o = obj(v, `step ${i}`);
  const kinds = Object.keys(o);
  if (kinds.length !== 1) throw new Error(`step ${i}: expected one step kind, got ${kinds.join(', ')}`);
  const kind = kinds[0] as string;
  const body = obj(o[kind], `step ${i} ${kind}`);
  if (kind === 'process_update') {
    onlyKeys(body, ['update_fork_digest', 'update', 'current_slot', 'checks'], `step ${i}`);
    return {
      kind,
      updateForkDigest: str(body.update_fork_digest, 'update_fork_digest'),
      update: str(body.update, 'update'),
      currentSlot: BigInt(str(body.current_slot, 'current_slot')),
      checks: parseChecks(body.checks, `step ${i}.checks`),
    };
  }
  if (kind === 'force_update') {
    onlyKeys(body, ['current_slot', 'checks'], `step ${i}`);
    return { kind, currentSlot: BigInt(str(body.current_slot, 'current_slot')), checks: parseChecks(body.checks, `step ${i}.checks`) };
  }
  throw new Error(`step ${i}: step kind ${kind} is not supported`);
}

export function loadCase(name: string, dir = VECTORS_DIR): VectorCase {
  const caseDir = join(dir, name);
  const meta = obj(readYaml(join(caseDir, 'meta.yaml')), 'meta.yaml');
  onlyKeys(meta, ['genesis_validators_root', 'trusted_block_root', 'bootstrap_fork_digest', 'store_fork_digest'], 'meta.yaml');
  const genesisValidatorsRoot = hexBytes(str(meta.genesis_validators_root, 'genesis_validators_root'));
  const config = parseSpecConfig(obj(readYaml(join(caseDir, 'config.yaml')), 'config.yaml'), genesisValidatorsRoot);
  const steps = readYaml(join(caseDir, 'steps.yaml'));
  if (!Array.isArray(steps)) throw new Error('steps.yaml: expected a sequence');
  return {
    name,
    dir: caseDir,
    config,
    genesisValidatorsRoot,
    trustedBlockRoot: hexBytes(str(meta.trusted_block_root, 'trusted_block_root')),
    bootstrapForkDigest: str(meta.bootstrap_fork_digest, 'bootstrap_fork_digest'),
    storeForkDigest: str(meta.store_fork_digest, 'store_fork_digest'),
    steps: steps.map(parseStep),
  };
}

/**
 * The SSZ bytes of `<file>.ssz_snappy` in a case (snappy block format), as a plain Uint8Array:
 * values decoded from a Buffer would be Buffers, whose slice() shares memory.
 */
export function readSsz(c: VectorCase, file: string): Uint8Array {
  return Uint8Array.from(snappy.uncompress(readFileSync(join(c.dir, `${file}.ssz_snappy`))));
}

/** The fork whose digest (with the case's genesis validators root) is `digest`; throws when none is. */
export function forkOfDigest(c: VectorCase, digest: string): ForkName {
  for (const f of c.config.forks) if (bytesHex(computeForkDigest(f.version, c.genesisValidatorsRoot)) === digest.toLowerCase()) return f.name;
  throw new Error(`${c.name}: no fork of its config has digest ${digest}`);
}

export interface BeaconApiReply {
  status?: number;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is. */
  raw?: string | Uint8Array;
  /** Never answered (until the server closes). */
  hang?: boolean;
  /** The connection is closed without an answer. */
  drop?: boolean;
}

export interface BeaconApiServer {
  url: string;
  /** Every path asked, with its query. */
  requests: string[];
  close(): Promise<void>;
}

/** A small HTTP server on 127.0.0.1 (a free port) answering beacon-API paths with `handler`. */
export async function startBeaconApi(handler: (path: string, query: URLSearchParams) => BeaconApiReply): Promise<BeaconApiServer> {
  const { createServer } = await import('node:http');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.pathname + u.search);
    const r = handler(u.pathname, u.searchParams);
    if (r.hang) return;
    if (r.drop) {
      req.socket.destroy();
      return;
    }
    const body = r.json !== undefined ? JSON.stringify(r.json) : (r.raw ?? '');
    res.writeHead(r.status ?? 200, { 'content-type': r.json !== undefined ? 'application/json' : 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
