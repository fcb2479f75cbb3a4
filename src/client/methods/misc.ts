/**
 * Methods about the client and chain rather than one block: ids, head number, sync state, peers,
 * web3_sha3, and the EVM methods routed to the injected CallHandler (absent handler = the methods
 * do not exist).
 */
import type { MethodContext } from './context.js';
import { requireHeader } from './context.js';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { data, qty } from './format.js';
import { type BlockRef, P, parseBlockRef, parseObject } from './params.js';
import { type MethodSpec, method } from './table.js';

/**
 * eth_syncing: false while the head is within `syncTolerance` of where the trusted servers say the
 * chain is and enough of them are connected to agree on heads; else the usual progress object, with
 * `stalled` saying why the head cannot advance when that is the reason.
 */
function syncing(ctx: MethodContext): false | { startingBlock: string; currentBlock: string; highestBlock: string; stalled?: string } {
  const current = ctx.chain.head().header.number;
  const view = ctx.sync?.();
  const highest = Math.max(current, view?.highest ?? current);
  if (view?.stalled === undefined && highest - current <= ctx.config.syncTolerance) {
    ctx.syncStart = undefined;
    return false;
  }
  ctx.syncStart ??= current;
  const out = { startingBlock: qty(ctx.syncStart), currentBlock: qty(current), highestBlock: qty(highest) };
  return view?.stalled === undefined ? out : { ...out, stalled: view.stalled };
}

const optionalBlock = P.custom<BlockRef>('block', parseBlockRef, true);
const callObject = P.custom('transaction', parseObject);
const overrides = (name: string) => P.custom(name, parseObject, true);

type CallMethod = 'eth_call' | 'eth_estimateGas' | 'eth_createAccessList';

function callMethod(name: CallMethod, extra: number): MethodSpec {
  const params = [callObject, optionalBlock, overrides('stateOverrides'), overrides('blockOverrides')].slice(0, 2 + extra);
  return method<unknown[]>({
    name,
    params,
    available: (ctx) => ctx.call !== undefined,
    async handler(ctx, args, raw, signal) {
      const header = await requireHeader(ctx, (args[1] as BlockRef | undefined) ?? { kind: 'tag', tag: 'latest' });
      return (ctx.call as NonNullable<MethodContext['call']>)(name, raw, header, signal);
    },
  });
}

export const miscMethods: readonly MethodSpec[] = [
  method<[]>({ name: 'eth_chainId', params: [], handler: (ctx) => qty(ctx.config.chainId) }),
  method<[]>({ name: 'net_version', params: [], handler: (ctx) => ctx.config.networkId.toString(10) }),
  method<[]>({ name: 'eth_blockNumber', params: [], handler: (ctx) => qty(ctx.chain.head().header.number) }),
  method<[]>({ name: 'eth_syncing', params: [], handler: syncing }),
  method<[]>({ name: 'web3_clientVersion', params: [], handler: (ctx) => ctx.config.clientVersion }),
  // Listening in the sense a caller asks it: the client is up and reaches the network.
  method<[]>({ name: 'net_listening', params: [], handler: () => true }),
  // Our peers are the LES servers connected now.
  method<[]>({ name: 'net_peerCount', params: [], handler: (ctx) => qty(ctx.peerCount?.() ?? 0) }),
  method<[Uint8Array]>({ name: 'web3_sha3', params: [P.data('data')], handler: (_ctx, [input]) => data(keccak256(input)) }),
  method<[]>({ name: 'eth_accounts', params: [], handler: () => [] }),
  callMethod('eth_call', 2),
  callMethod('eth_estimateGas', 1),
  callMethod('eth_createAccessList', 0),
];
