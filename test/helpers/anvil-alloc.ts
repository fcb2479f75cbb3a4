import { gunzipSync } from 'node:zlib';
import type { Anvil } from './anvil.js';

/** anvil's own dump at its head, turned into a go-ethereum genesis file (decimal balances, bare addresses). */
export async function allocFromDump(anvil: Anvil): Promise<{ alloc: Record<string, unknown> }> {
  const raw = await anvil.rpc<string>('anvil_dumpState');
  const dump = JSON.parse(gunzipSync(Buffer.from(raw.replace(/^0x/, ''), 'hex')).toString()) as {
    accounts: Record<string, { nonce: number; balance: string; code: string; storage: Record<string, string> }>;
  };
  const alloc: Record<string, unknown> = {};
  for (const [addr, a] of Object.entries(dump.accounts)) {
    alloc[addr.slice(2)] = { balance: BigInt(a.balance).toString(10), nonce: `0x${a.nonce.toString(16)}`, code: a.code, storage: a.storage };
  }
  return { alloc };
}
