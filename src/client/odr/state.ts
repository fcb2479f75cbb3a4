/**
 * State kinds, proven against a verified header's stateRoot (DESIGN §5):
 *   stateProof  GetProofsV2 → ProofsV2. An account item asks [blockHash, "", keccak(address), 0]
 *               (go-ethereum's form); a storage item [blockHash, keccak(address), keccak(slot), 0]
 *               and is answered with
 *               the account path followed by the slot's path under the account's storageRoot
 *               (an absent account proves every slot empty). One kind for both, so accounts and
 *               slots coalesce into one message; the whole batch is walked over one ProofNodeSet
 *               and every node sent must have been used.
 *   code        GetContractCodes → ContractCodes: keccak256(code) = the proven account's
 *               codeHash, which the item carries (so answers are keyed by codeHash).
 * To a server whose Status carries "lesp/preimages", both carry the address (and slot) too, so it
 * can serve keys it never saw in a block (wire/proofs.ts has the encoding).
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { OdrKind, VerifiedHeader } from '../contracts.js';
import { Code } from '../../wire/codes.js';
import { MAX_CODE_REQS, decodeContractCodes, encodeGetContractCodes } from '../../wire/contract-codes.js';
import { MAX_PROOF_REQS, decodeProofsV2, encodeGetProofsV2 } from '../../wire/proofs.js';
import { MissingNodeError } from '../../verify/errors.js';
import { ProofNodeSet } from '../../verify/proof.js';
import { equalBytes } from '../../verify/bytes.js';
import { type Account, EMPTY_CODE_HASH, readAccount, readStorage, verifyCode } from '../../verify/state.js';
import { answersFor, checkReplyCount, servesState, toHex } from './common.js';
import { OdrError } from './errors.js';

export interface StateProofItem {
  header: VerifiedHeader;
  /** 20-byte address. */
  address: Uint8Array;
  /** 32-byte slot: present for a storage proof, absent for an account proof. */
  slot?: Uint8Array;
}

export interface StateProofResult {
  /** null = proven absent. */
  account: Account | null;
  /** The slot's value, for a storage item (0n when absent). */
  value?: bigint;
  /** Every node of the verified answer this result came from (shared by its batch). */
  nodes: readonly Uint8Array[];
}

export interface CodeItem {
  header: VerifiedHeader;
  address: Uint8Array;
  /** The proven account's codeHash. */
  codeHash: Uint8Array;
}

function checkItem(item: StateProofItem, i: number): void {
  if (item.address.length !== 20) throw new OdrError('BAD_ITEM', `items[${i}].address`, 'expected 20 bytes');
  if (item.slot !== undefined && item.slot.length !== 32) throw new OdrError('BAD_ITEM', `items[${i}].slot`, 'expected 32 bytes');
}

export const stateProofKind: OdrKind<StateProofItem, StateProofResult> = {
  name: 'stateProof',
  code: Code.GetProofsV2,
  maxItems: MAX_PROOF_REQS,
  units: () => 1,
  canServe: (server, item) => servesState(server, item.header.header.number),
  blockOf: (item) => item.header.header.number,
  key: (item) =>
    item.slot === undefined
      ? `account:${toHex(item.header.hash)}:${toHex(item.address)}`
      : `storage:${toHex(item.header.hash)}:${toHex(item.address)}:${toHex(item.slot)}`,
  encode(reqID, items, server) {
    items.forEach(checkItem);
    const preimages = server?.caps.preimages === true;
    return encodeGetProofsV2({
      reqID,
      reqs: items.map((item) => ({
        blockHash: item.header.hash,
        accountKey: keccak256(item.address),
        storageKey: item.slot === undefined ? new Uint8Array(0) : keccak256(item.slot),
        fromLevel: 0,
        ...(preimages ? { address: item.address, ...(item.slot === undefined ? {} : { slot: item.slot }) } : {}),
      })),
    });
  },
  /**
   * ProofsV2 has no per-item boundary, and a server stops a batch at its first item it cannot
   * serve. So the items are read in order: the first one whose path runs into a node the reply
   * lacks ends the answered prefix, and it and the rest are unanswered (asked elsewhere). Every
   * node sent must serve the answered prefix; a node beyond it (a partial path) is a lie.
   */
  verify(items, payload) {
    const { nodes } = decodeProofsV2(payload);
    if (nodes.length === 0) return items.map(() => undefined);
    const read = (set: ProofNodeSet, item: StateProofItem, i: number): StateProofResult => {
      const field = `proofs[${i}]`;
      const account = readAccount(set, item.header.header.stateRoot, item.address, { field: `${field}.account` }) ?? null;
      if (item.slot === undefined) return { account, nodes };
      const value = account === null ? 0n : readStorage(set, account.storageRoot, { slot: item.slot }, { field: `${field}.storage` });
      return { account, value, nodes };
    };
    let set = new ProofNodeSet(nodes, 'ProofsV2.nodes');
    const results: Array<StateProofResult | undefined> = [];
    for (const [i, item] of items.entries()) {
      try {
        results.push(read(set, item, i));
      } catch (err) {
        if (!(err instanceof MissingNodeError)) throw err;
        // The failed walk marked nodes of its partial path used; count only the answered prefix.
        set = new ProofNodeSet(nodes, 'ProofsV2.nodes');
        results.forEach((_, j) => read(set, items[j] as StateProofItem, j));
        break;
      }
    }
    set.assertAllUsed();
    return items.map((_, i) => results[i]);
  },
};

export const codeKind: OdrKind<CodeItem, Uint8Array> = {
  name: 'code',
  code: Code.GetContractCodes,
  maxItems: MAX_CODE_REQS,
  units: () => 1,
  canServe: (server, item) => servesState(server, item.header.header.number),
  blockOf: (item) => item.header.header.number,
  key: (item) => `code:${toHex(item.codeHash)}`,
  encode: (reqID, items, server) =>
    encodeGetContractCodes({
      reqID,
      reqs: items.map((i) => ({ blockHash: i.header.hash, accountKey: keccak256(i.address), ...(server?.caps.preimages === true ? { address: i.address } : {}) })),
    }),
  verify(items, payload) {
    const { codes } = decodeContractCodes(payload);
    checkReplyCount(codes.length, items.length, 'ContractCodes', 'codes');
    return answersFor(items, codes.length, (item, i) => {
      const code = codes[i] as Uint8Array;
      // The empty entry is how a server says "not here" (unknown block, state outside its window).
      if (code.length === 0 && !equalBytes(item.codeHash, EMPTY_CODE_HASH)) return undefined;
      verifyCode(code, item.codeHash);
      return code;
    });
  },
};
