/**
 * Re-derives accounts from the node when a computed root does not match the header: for each
 * address (and the slots of it we know), `eth_getProof` at the block. The answer is not taken on
 * trust: the account proof is walked from the header's stateRoot and each storage proof from the
 * proven storageRoot, so what overrides the trace's view is proven state of that block, including
 * whether the account exists at all (an empty account can exist in the trie). Only addresses and
 * slots whose preimages we hold can be repaired this way; the header root check afterwards decides
 * whether that was enough.
 *
 * An answer that does not prove is set aside, not trusted. anvil 1.7.1 gives them for a block that
 * is no longer its head when cheat methods (anvil_setBalance, anvil_setStorageAt, ...) ran after
 * that block: its "state at N" then includes those later changes.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { NodeRpcClient } from '../rpc/client.js';
import { readArray, readHexData, readObject, toHex } from '../rpc/hex.js';
import { type Account, EMPTY_CODE_HASH, decodeAccount, decodeStorageValue, equalBytes, hexKey } from './account.js';
import type { StateDiff } from './diff.js';
import { StateError, stateFail } from './errors.js';
import { type LoadedNode, type NodeReader, loadNode, walkTrie } from './prover.js';

export interface RepairTarget {
  address: Uint8Array;
  slots: Uint8Array[];
}

/** An account of one block, proven against its header's stateRoot. */
export interface ProvenAccount {
  address: Uint8Array;
  /** undefined: not in the state trie. */
  account: Account | undefined;
  slots: Array<{ slot: Uint8Array; value: bigint }>;
}

const fail = stateFail('STATE_BAD_TRACE', 'eth_getProof');
const ACCOUNTS_PER_BATCH = 32;

function proofReader(nodes: unknown, field: string): NodeReader {
  const byHash = new Map<string, Uint8Array>();
  readArray(nodes, field, fail).forEach((n, i) => {
    const node = readHexData(n, `${field}[${i}]`, fail);
    byHash.set(hexKey(keccak256(node)), node);
  });
  return (hash): LoadedNode | undefined => {
    const raw = byHash.get(hexKey(hash));
    return raw === undefined ? undefined : loadNode(raw, hash);
  };
}

function proven<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof StateError && (cause.code === 'STATE_MISSING_NODE' || cause.code === 'STATE_BAD_NODE')) {
      throw new StateError('STATE_BAD_TRACE', `eth_getProof ${field} does not prove against the header root: ${cause.message}`, { field, cause });
    }
    throw cause;
  }
}

export interface ProvenAccounts {
  proven: ProvenAccount[];
  /** Accounts whose answer did not prove against the header root, with the reason. */
  rejected: Array<{ address: Uint8Array; reason: string }>;
}

export async function fetchProvenAccounts(
  rpc: NodeRpcClient,
  block: { hash: Uint8Array; stateRoot: Uint8Array },
  targets: readonly RepairTarget[],
): Promise<ProvenAccounts> {
  const at = { blockHash: toHex(block.hash) };
  const out: ProvenAccounts = { proven: [], rejected: [] };
  for (let i = 0; i < targets.length; i += ACCOUNTS_PER_BATCH) {
    const chunk = targets.slice(i, i + ACCOUNTS_PER_BATCH);
    const results = await rpc.batch(chunk.map((t) => ({ method: 'eth_getProof', params: [toHex(t.address), t.slots.map(toHex), at] })));
    chunk.forEach((t, j) => {
      try {
        out.proven.push(provenAccount(t, results[j], block.stateRoot));
      } catch (e) {
        if (!(e instanceof StateError) || e.code !== 'STATE_BAD_TRACE') throw e;
        out.rejected.push({ address: t.address, reason: e.message });
      }
    });
  }
  return out;
}

function provenAccount(t: RepairTarget, result: unknown, stateRoot: Uint8Array): ProvenAccount {
  const f = `[0x${hexKey(t.address)}]`;
  const o = readObject(result, f, fail);
  const accountValue = proven(`${f}.accountProof`, () => walkTrie(proofReader(o.accountProof, `${f}.accountProof`), stateRoot, keccak256(t.address)));
  const account = accountValue === undefined ? undefined : decodeAccount(accountValue);
  const proofs = readArray(o.storageProof ?? [], `${f}.storageProof`, fail);
  if (proofs.length !== t.slots.length) throw fail(`${f}.storageProof`, `expected ${t.slots.length} entries, got ${proofs.length}`);
  const slots = t.slots.map((slot, k) => {
    if (account === undefined) return { slot, value: 0n };
    const sf = `${f}.storageProof[${k}].proof`;
    const reader = proofReader(readObject(proofs[k], sf, fail).proof, sf);
    const v = proven(sf, () => walkTrie(reader, account.storageRoot, keccak256(slot)));
    return { slot, value: v === undefined ? 0n : decodeStorageValue(v) };
  });
  return { address: t.address, account, slots };
}

/**
 * Makes `diff` say what the proofs say about these accounts. `codeOf` returns stored code by
 * hash; unknown code is fetched (`eth_getCode`) and checked against the proven hash.
 */
export async function overrideFromProofs(
  rpc: NodeRpcClient,
  blockHash: Uint8Array,
  accounts: readonly ProvenAccount[],
  diff: StateDiff,
  codeOf: (codeHash: Uint8Array) => Promise<Uint8Array | undefined>,
): Promise<void> {
  for (const { address, account, slots } of accounts) {
    if (account === undefined) {
      diff.remove(address);
      continue;
    }
    diff.setNonce(address, account.nonce);
    diff.setBalance(address, account.balance);
    let code = await codeOf(account.codeHash);
    if (code === undefined) {
      code = readHexData(await rpc.call('eth_getCode', [toHex(address), { blockHash: toHex(blockHash) }]), 'eth_getCode', fail);
      if (!equalBytes(keccak256(code), account.codeHash)) {
        throw new StateError('STATE_BAD_TRACE', `eth_getCode of 0x${hexKey(address)} does not hash to its proven codeHash`, { field: 'code' });
      }
    }
    diff.setCode(address, equalBytes(account.codeHash, EMPTY_CODE_HASH) ? new Uint8Array(0) : code);
    for (const s of slots) diff.setStorage(address, s.slot, s.value);
  }
}
