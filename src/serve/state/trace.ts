/**
 * Reads a block's prestate-tracer trace in diff mode (`debug_traceBlockByHash(hash,
 * {tracer: 'prestateTracer', tracerConfig: {diffMode: true}})`) into a StateDiff.
 *
 * Per transaction the tracer gives `{pre, post}` of the accounts that changed (go-ethereum's
 * semantics, which anvil 1.7.1 follows, checked in test/integration/serve-state*.test.ts):
 * - `post` holds only the fields that changed; a field missing from `post` kept its value;
 * - a storage slot in `pre` but not in `post` was set to zero;
 * - an account in `pre` but not in `post` was deleted (self-destruct before Cancun, or created and
 *   destroyed in one transaction under EIP-6780 — then it is usually in neither);
 * - an account only in `post` was created; unchanged accounts appear in neither.
 */
import { readArray, readHexData, readObject, readQuantity } from '../rpc/hex.js';
import { fromHexKey, hexKey } from './account.js';
import type { StateDiff } from './diff.js';
import { stateFail } from './errors.js';

const fail = stateFail('STATE_BAD_TRACE', 'trace');

/** Applies every transaction of a diff-mode trace, in order, to `diff`. */
export function applyTrace(diff: StateDiff, trace: unknown): void {
  readArray(trace, 'result', fail).forEach((item, i) => {
    const f = `[${i}]`;
    const o = readObject(item, f, fail);
    if (o.error !== undefined) throw fail(`${f}.error`, `the node could not trace transaction ${i}: ${JSON.stringify(o.error)}`);
    const result = readObject(o.result, `${f}.result`, fail);
    applyTxDiff(diff, readObject(result.pre ?? {}, `${f}.pre`, fail), readObject(result.post ?? {}, `${f}.post`, fail), f);
  });
}

function applyTxDiff(diff: StateDiff, pre: Record<string, unknown>, post: Record<string, unknown>, f: string): void {
  const addresses = new Set<string>();
  const read = (side: Record<string, unknown>, name: string) => {
    const out = new Map<string, Record<string, unknown>>();
    for (const [a, v] of Object.entries(side)) {
      const addr = hexKey(readHexData(a, `${f}.${name}`, fail, 20));
      out.set(addr, readObject(v, `${f}.${name}[${a}]`, fail));
      addresses.add(addr);
    }
    return out;
  };
  const before = read(pre, 'pre');
  const after = read(post, 'post');
  for (const addrHex of addresses) {
    const address = fromHexKey(addrHex);
    const p = after.get(addrHex);
    const field = `${f}.post[0x${addrHex}]`;
    if (p === undefined) {
      diff.destroy(address);
      continue;
    }
    diff.touch(address);
    if (p.nonce !== undefined) diff.setNonce(address, readQuantity(p.nonce, `${field}.nonce`, fail, { maxBits: 64 }));
    if (p.balance !== undefined) diff.setBalance(address, readQuantity(p.balance, `${field}.balance`, fail));
    if (p.code !== undefined) diff.setCode(address, readHexData(p.code, `${field}.code`, fail));
    const newSlots = p.storage === undefined ? {} : readObject(p.storage, `${field}.storage`, fail);
    const written = new Set<string>();
    for (const [slot, value] of Object.entries(newSlots)) {
      const key = readHexData(slot, `${field}.storage`, fail, 32);
      written.add(hexKey(key));
      diff.setStorage(address, key, readQuantity(value, `${field}.storage[${slot}]`, fail));
    }
    const old = before.get(addrHex)?.storage;
    if (old !== undefined) {
      for (const slot of Object.keys(readObject(old, `${f}.pre[0x${addrHex}].storage`, fail))) {
        const key = readHexData(slot, `${f}.pre[0x${addrHex}].storage`, fail, 32);
        if (!written.has(hexKey(key))) diff.setStorage(address, key, 0n);
      }
    }
  }
}
