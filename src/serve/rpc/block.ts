/**
 * The fields of a node's block JSON that following the state needs, read with checks: a node is
 * trusted to be honest, not to be bug-free, and its answers become roots we serve proofs from.
 */
import type { NodeRpcClient } from './client.js';
import { NodeRpcError } from './errors.js';
import { type HexFail, quantityHex, readArray, readHexData, readObject, readQuantity, readSafeNumber, toHex } from './hex.js';

export interface RpcWithdrawal {
  index: bigint;
  validatorIndex: bigint;
  address: Uint8Array;
  /** In Gwei, as on the wire. */
  amount: bigint;
}

export interface RpcBlockHead {
  number: number;
  hash: Uint8Array;
  parentHash: Uint8Array;
  stateRoot: Uint8Array;
  miner: Uint8Array;
  timestamp: number;
  difficulty: bigint;
  parentBeaconBlockRoot: Uint8Array | undefined;
  /** Absent before Shanghai. */
  withdrawals: RpcWithdrawal[] | undefined;
  uncles: Uint8Array[];
}

export function parseRpcBlock(json: unknown, method = 'eth_getBlockByNumber'): RpcBlockHead {
  const fail: HexFail = (field, detail) => new NodeRpcError('NODE_BAD_RESPONSE', method, `${field}: ${detail}`, { field });
  const o = readObject(json, 'block', fail);
  const hash32 = (k: string) => readHexData(o[k], k, fail, 32);
  const withdrawals =
    o.withdrawals === undefined || o.withdrawals === null
      ? undefined
      : readArray(o.withdrawals, 'withdrawals', fail).map((w, i) => {
          const f = `withdrawals[${i}]`;
          const wo = readObject(w, f, fail);
          return {
            index: readQuantity(wo.index, `${f}.index`, fail, { maxBits: 64 }),
            validatorIndex: readQuantity(wo.validatorIndex, `${f}.validatorIndex`, fail, { maxBits: 64 }),
            address: readHexData(wo.address, `${f}.address`, fail, 20),
            amount: readQuantity(wo.amount, `${f}.amount`, fail, { maxBits: 64 }),
          };
        });
  return {
    number: readSafeNumber(o.number, 'number', fail),
    hash: hash32('hash'),
    parentHash: hash32('parentHash'),
    stateRoot: hash32('stateRoot'),
    miner: readHexData(o.miner, 'miner', fail, 20),
    timestamp: readSafeNumber(o.timestamp, 'timestamp', fail),
    difficulty: o.difficulty === undefined ? 0n : readQuantity(o.difficulty, 'difficulty', fail),
    parentBeaconBlockRoot: o.parentBeaconBlockRoot === undefined || o.parentBeaconBlockRoot === null ? undefined : hash32('parentBeaconBlockRoot'),
    withdrawals,
    uncles: o.uncles === undefined ? [] : readArray(o.uncles, 'uncles', fail).map((u, i) => readHexData(u, `uncles[${i}]`, fail, 32)),
  };
}

/** A block's head fields by number, 'latest', or hash; undefined if the node does not have it. */
export async function fetchBlockHead(rpc: NodeRpcClient, at: number | 'latest' | Uint8Array): Promise<RpcBlockHead | undefined> {
  const [method, tag] =
    at instanceof Uint8Array ? ['eth_getBlockByHash', toHex(at)] : ['eth_getBlockByNumber', at === 'latest' ? at : quantityHex(at)];
  const json = await rpc.call(method, [tag, false]);
  return json === null ? undefined : parseRpcBlock(json, method);
}
