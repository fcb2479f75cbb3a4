/**
 * Account state at a block, each value proven against the block's verified stateRoot by the Odr:
 * balance, nonce (with this client's own pending transactions counted for 'pending'), code,
 * storage, and eth_getProof built from the proof nodes that proved them.
 */
import type { VerifiedHeader } from '../contracts.js';
import { EMPTY_CODE_HASH } from '../../verify/state.js';
import { EMPTY_TRIE_ROOT } from '../../verify/trie-builder.js';
import { type MethodContext, requireHeader } from './context.js';
import { InvalidParamsError } from './errors.js';
import { data, qty, word } from './format.js';
import { type BlockRef, P, parseArray, parseSlot } from './params.js';
import { type MethodSpec, method } from './table.js';

async function nonceAt(ctx: MethodContext, address: Uint8Array, ref: BlockRef): Promise<bigint> {
  const header = await requireHeader(ctx, ref);
  const nonce = (await ctx.odr.account(header, address))?.nonce ?? 0n;
  if (ref.kind === 'tag' && ref.tag === 'pending') {
    const from = data(address);
    ctx.pending.prune(from, nonce);
    const next = ctx.pending.nextNonce(from);
    if (next !== undefined && next > nonce) return next;
  }
  return nonce;
}

async function proof(ctx: MethodContext, header: VerifiedHeader, address: Uint8Array, keys: Uint8Array[]): Promise<unknown> {
  const get = ctx.odr.proof as NonNullable<MethodContext['odr']['proof']>;
  const p = await get.call(ctx.odr, header, address, keys);
  const a = p.account;
  return {
    address: data(address),
    balance: qty(a?.balance ?? 0n),
    nonce: qty(a?.nonce ?? 0n),
    codeHash: data(a?.codeHash ?? EMPTY_CODE_HASH),
    storageHash: data(a?.storageRoot ?? EMPTY_TRIE_ROOT),
    accountProof: p.accountProof.map(data),
    storageProof: keys.map((key, i) => {
      const s = p.storage[i];
      if (s === undefined) throw new Error(`Odr.proof gave no entry for storage key ${i}`);
      return { key: data(key), value: qty(s.value), proof: s.proof.map(data) };
    }),
  };
}

const storageKeys = P.custom('storageKeys', (v, f) => parseArray(v, f, Number.MAX_SAFE_INTEGER).map((k, i) => parseSlot(k, `${f}[${i}]`)));

export const stateMethods: readonly MethodSpec[] = [
  method<[Uint8Array, BlockRef]>({
    name: 'eth_getBalance',
    params: [P.address(), P.block()],
    handler: async (ctx, [address, ref]) => qty((await ctx.odr.account(await requireHeader(ctx, ref), address))?.balance ?? 0n),
  }),
  method<[Uint8Array, BlockRef]>({
    name: 'eth_getTransactionCount',
    params: [P.address(), P.block()],
    handler: async (ctx, [address, ref]) => qty(await nonceAt(ctx, address, ref)),
  }),
  method<[Uint8Array, BlockRef]>({
    name: 'eth_getCode',
    params: [P.address(), P.block()],
    handler: async (ctx, [address, ref]) => data(await ctx.odr.code(await requireHeader(ctx, ref), address)),
  }),
  method<[Uint8Array, Uint8Array, BlockRef]>({
    name: 'eth_getStorageAt',
    params: [P.address(), P.slot(), P.block()],
    handler: async (ctx, [address, slot, ref]) => word(await ctx.odr.storage(await requireHeader(ctx, ref), address, slot)),
  }),
  method<[Uint8Array, Uint8Array[], BlockRef]>({
    name: 'eth_getProof',
    params: [P.address(), storageKeys, P.block()],
    available: (ctx) => typeof ctx.odr.proof === 'function',
    async handler(ctx, [address, keys, ref]) {
      if (keys.length > ctx.config.maxProofKeys) {
        throw new InvalidParamsError('storageKeys', `${keys.length} keys, more than ${ctx.config.maxProofKeys}`);
      }
      return proof(ctx, await requireHeader(ctx, ref), address, keys);
    },
  }),
];
