/**
 * The reference server's `les_*` API (seed 000), names and shapes as go-ethereum answered them:
 * les_serverInfo, les_clientInfo, les_priorityClientInfo, les_addBalance, les_setClientParams,
 * les_setDefaultParams, les_latestCheckpoint, les_getCheckpoint, les_getCheckpointContractAddress.
 * Client IDs are answered as 64 hex digits without 0x (the map keys of the reference) and taken
 * with or without 0x; balances are JSON integers (up to 2^63 − 1). Every parameter is checked
 * before anything changes: a bad one is -32602 naming it.
 */
import { getAddress } from 'ethers';
import { MAX_BALANCE, type ClientInfo, type LesServer, parseClientId } from '../../serve/index.js';
import { AdminRpcError, RpcCode, invalidParams } from '../errors.js';
import { integerParam, positional, required, stringParam } from '../params.js';
import type { AdminMethod } from './types.js';

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const ZERO_ID = '0'.repeat(64);
/** Most entries one les_priorityClientInfo call lists. */
export const MAX_PRIORITY_LIST = 10_000;

/** A bound of an ID range: 32 bytes as 64 hex digits. */
function rangeBound(value: unknown, field: string): string {
  const text = stringParam(value, field);
  const h = (text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(h)) throw invalidParams(field, 'expected a node ID of 64 hex digits');
  return h;
}

function idList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParams(field, 'expected a list of node IDs');
  return value.map((v, i) => parseClientId(v, `${field}[${i}]`));
}

/** [sectionHead, chtRoot, bloomTrieRoot] of section `index`, if built. */
async function checkpoint(server: LesServer, index: number): Promise<[string, string, string] | undefined> {
  const { helperTries, chain } = server.stack.backend;
  if (index >= helperTries.sectionCount()) return undefined;
  const head = await chain.canonicalHash((index + 1) * helperTries.sectionSize() - 1);
  const cht = await helperTries.chtRoot(index);
  const bloom = await helperTries.bloomTrieRoot(index);
  if (head === undefined || cht === undefined || bloom === undefined) return undefined;
  return [hex(head), hex(cht), hex(bloom)];
}

export function lesMethods(server: LesServer): Map<string, AdminMethod> {
  const pool = () => server.pool;
  return new Map<string, AdminMethod>([
    ['les_serverInfo', {
      permission: 'clients:read',
      handler: (params) => {
        positional(params, []);
        return pool().serverInfo();
      },
    }],
    ['les_clientInfo', {
      permission: 'clients:read',
      handler: (params) => {
        const [ids] = positional(params, ['ids']);
        const list = idList(ids, 'ids');
        const out: Record<string, ClientInfo> = {};
        for (const id of list.length === 0 ? pool().connectedIds() : list) out[id] = pool().clientInfo(id);
        return out;
      },
    }],
    ['les_priorityClientInfo', {
      permission: 'balance:read',
      handler: async (params) => {
        const [start, stop, maxCount] = positional(params, ['start', 'stop', 'maxCount']);
        const from = rangeBound(required(start, 'start'), 'start');
        const to = rangeBound(required(stop, 'stop'), 'stop');
        const count = Number(integerParam(required(maxCount, 'maxCount'), 'maxCount', 0n, BigInt(MAX_PRIORITY_LIST)));
        const { ids, more } = await pool().positiveIds(from, to === ZERO_ID ? undefined : to, count);
        const out: Record<string, ClientInfo | Record<string, never>> = {};
        for (const id of ids) out[id] = pool().clientInfo(id);
        // The reference's paging rule: the first ID the count left out, with an empty object.
        if (more !== undefined) out[more] = {};
        return out;
      },
    }],
    ['les_addBalance', {
      permission: 'balance:write',
      handler: async (params) => {
        const [id, amount, meta] = positional(params, ['id', 'amount', 'meta']);
        const client = parseClientId(required(id, 'id'), 'id');
        const n = integerParam(required(amount, 'amount'), 'amount', -(MAX_BALANCE + 1n), MAX_BALANCE);
        const tag = meta === undefined || meta === null ? undefined : stringParam(meta, 'meta');
        return pool().addBalance(client, n, tag);
      },
    }],
    ['les_setClientParams', {
      permission: 'clients:write',
      handler: (params) => {
        const [ids, values] = positional(params, ['ids', 'params']);
        pool().setClientParams(idList(ids, 'ids'), required(values, 'params'));
        return null;
      },
    }],
    ['les_setDefaultParams', {
      permission: 'pricing:write',
      handler: (params) => {
        const [values] = positional(params, ['params']);
        pool().setDefaultParams(required(values, 'params'));
        return null;
      },
    }],
    ['les_latestCheckpoint', {
      permission: 'checkpoint:read',
      handler: async (params) => {
        positional(params, []);
        const count = server.stack.backend.helperTries.sectionCount();
        const cp = count === 0 ? undefined : await checkpoint(server, count - 1);
        if (cp === undefined) throw new AdminRpcError(RpcCode.ServerError, 'no local checkpoint available (no section built yet)');
        return [`0x${(count - 1).toString(16)}`, ...cp];
      },
    }],
    ['les_getCheckpoint', {
      permission: 'checkpoint:read',
      handler: async (params) => {
        const [index] = positional(params, ['index']);
        const count = server.stack.backend.helperTries.sectionCount();
        const i = integerParam(required(index, 'index'), 'index', 0n, BigInt(Number.MAX_SAFE_INTEGER));
        if (i >= BigInt(count)) throw invalidParams('index', `no checkpoint ${i}: ${count} section${count === 1 ? '' : 's'} built`);
        const cp = await checkpoint(server, Number(i));
        if (cp === undefined) throw invalidParams('index', `no checkpoint ${i}`);
        return cp;
      },
    }],
    ['les_getCheckpointContractAddress', {
      permission: 'checkpoint:read',
      handler: (params) => {
        positional(params, []);
        const oracle = server.network.checkpointOracle;
        if (oracle === undefined) throw new AdminRpcError(RpcCode.ServerError, 'no checkpoint oracle is configured for this network');
        return getAddress(hex(oracle.address));
      },
    }],
  ]);
}
