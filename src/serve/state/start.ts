/**
 * Start states: the node's own dump (anvil's `anvil_dumpState`) or a genesis alloc, read into a
 * StateDiff over the empty state.
 *
 * anvil 1.7.1's dump is the hex of gzipped JSON: `{block: {number, ...}, accounts: {address:
 * {nonce, balance, code, storage: {slot: value}}}, best_block_number, blocks, transactions, ...}`.
 * A dump races with block production, so `takeAnvilDump` reads the head before and after and
 * keeps the dump only if the head did not move and the dump says it is at that head.
 */
import { gunzipSync } from 'node:zlib';
import { type RpcBlockHead, fetchBlockHead } from '../rpc/block.js';
import type { NodeRpcClient } from '../rpc/client.js';
import { type HexFail, readHexData, readObject, readQuantity, readSafeNumber } from '../rpc/hex.js';
import { equalBytes } from './account.js';
import { StateDiff } from './diff.js';
import { StateError, stateFail } from './errors.js';

/** Largest decompressed dump accepted: a dev chain's state is far smaller; a bomb is not. */
const MAX_DUMP_BYTES = 512 * 1024 * 1024;

export interface DumpedState {
  /** The block the dump says it is at, if it says. */
  number: number | undefined;
  diff: StateDiff;
}

/** Parses the result of `anvil_dumpState` (gzipped or plain JSON, as 0x-hex). */
export function parseAnvilDump(result: unknown): DumpedState {
  const fail = stateFail('STATE_BAD_DUMP', 'dump');
  const raw = readHexData(result, 'result', fail);
  let text: string;
  try {
    text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw, { maxOutputLength: MAX_DUMP_BYTES }) : Buffer.from(raw)).toString('utf8');
  } catch (cause) {
    throw new StateError('STATE_BAD_DUMP', `dump does not decompress: ${(cause as Error).message}`, { field: 'result', cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new StateError('STATE_BAD_DUMP', 'dump is not JSON', { field: 'result', cause });
  }
  const o = readObject(json, 'dump', fail);
  const block = o.block === undefined || o.block === null ? undefined : readObject(o.block, 'block', fail);
  return {
    number: block?.number === undefined ? undefined : readSafeNumber(block.number, 'block.number', fail),
    diff: accountsToDiff(readObject(o.accounts, 'accounts', fail), 'accounts', fail, false, true),
  };
}

/** Parses a genesis file (`{alloc: {...}}`) or a bare alloc object, in go-ethereum's notation. */
export function parseGenesisAlloc(json: unknown): StateDiff {
  const fail = stateFail('STATE_BAD_ALLOC', 'genesis alloc');
  const o = readObject(json, 'genesis', fail);
  const alloc = 'alloc' in o ? readObject(o.alloc, 'alloc', fail) : o;
  return accountsToDiff(alloc, 'alloc', fail, true, false);
}

/** `zeroSlots`: keep slots listed with value zero (anvil's dump lists the zero leaves it holds). */
function accountsToDiff(accounts: Record<string, unknown>, where: string, fail: HexFail, decimal: boolean, zeroSlots: boolean): StateDiff {
  const diff = new StateDiff();
  for (const [addr, value] of Object.entries(accounts)) {
    const f = `${where}[${addr}]`;
    const address = readHexData(addr.startsWith('0x') ? addr : `0x${addr}`, f, fail, 20);
    const a = readObject(value, f, fail);
    diff.setNonce(address, a.nonce === undefined ? 0n : readQuantity(a.nonce, `${f}.nonce`, fail, { decimal, maxBits: 64 }));
    diff.setBalance(address, a.balance === undefined ? 0n : readQuantity(a.balance, `${f}.balance`, fail, { decimal }));
    if (a.code !== undefined && a.code !== null) diff.setCode(address, readHexData(a.code, `${f}.code`, fail));
    const storage = a.storage === undefined || a.storage === null ? {} : readObject(a.storage, `${f}.storage`, fail);
    for (const [slot, v] of Object.entries(storage)) {
      const key = readHexData(slot, `${f}.storage`, fail);
      if (key.length > 32) throw fail(`${f}.storage`, `slot ${slot} is longer than 32 bytes`);
      const padded = new Uint8Array(32);
      padded.set(key, 32 - key.length);
      const val = readQuantity(v, `${f}.storage[${slot}]`, fail);
      if (val !== 0n || zeroSlots) diff.setStorage(address, padded, val);
    }
  }
  return diff;
}

export interface TakenDump {
  block: RpcBlockHead;
  diff: StateDiff;
}

/** Takes a dump that is known to be the state of the returned block; retries when blocks race it. */
export async function takeAnvilDump(rpc: NodeRpcClient, options: { attempts?: number; timeoutMs?: number } = {}): Promise<TakenDump> {
  const attempts = options.attempts ?? 5;
  for (let i = 0; i < attempts; i++) {
    const before = await fetchBlockHead(rpc, 'latest');
    const result = await rpc.call('anvil_dumpState', [], { timeoutMs: options.timeoutMs ?? 300_000 });
    const after = await fetchBlockHead(rpc, 'latest');
    if (before === undefined || after === undefined) throw new StateError('STATE_NOT_FOUND', 'the node has no head block');
    const dump = parseAnvilDump(result);
    if (equalBytes(before.hash, after.hash) && (dump.number === undefined || dump.number === after.number)) {
      return { block: after, diff: dump.diff };
    }
  }
  throw new StateError('STATE_DUMP_RACE', `the head moved during each of ${attempts} dumps`);
}
