/**
 * Synthetic header chains for the header-chain tests: real header encodings (Prague shape) whose
 * parentHash links are computed here, forks that differ in extraData, and a LES server view of
 * them that answers GetBlockHeaders (by hash or number, forward or reverse) and
 * GetHelperTrieProofs (CHT built with @ethereumjs/trie, an independent trie implementation).
 */
import { Trie } from '@ethereumjs/trie';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { NetworkConfig } from '../../../src/config/network.js';
import { DEVNET } from '../../../src/config/network.js';
import { type BlockHeader, encodeHeader } from '../../../src/verify/header.js';
import { chtKey, encodeChtValue } from '../../../src/verify/helper-tries.js';
import { signAnnounce } from '../../../src/verify/announce-signature.js';
import type { Announce } from '../../../src/wire/announce.js';
import { Code } from '../../../src/wire/codes.js';
import { decodeGetBlockHeaders, encodeBlockHeaders } from '../../../src/wire/headers.js';
import { decodeGetHelperTrieProofs, encodeHelperTrieProofs } from '../../../src/wire/helper-trie.js';
import { FakeServer, type Handler } from '../../helpers/fake-retriever.js';
import { minimalProof, mergeProofs } from '../verify/helpers.js';

export interface SynthHeader {
  rlp: Uint8Array;
  hash: Uint8Array;
  header: BlockHeader;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

function makeHeader(parent: Uint8Array, number: number, tag: number): SynthHeader {
  const z = (n: number) => new Uint8Array(n);
  const header: BlockHeader = {
    parentHash: parent,
    uncleHash: keccak256(Uint8Array.of(0xc0)),
    coinbase: z(20),
    stateRoot: keccak256(Uint8Array.of(number & 0xff, tag)),
    transactionsRoot: keccak256(Uint8Array.of(0x80)),
    receiptsRoot: keccak256(Uint8Array.of(0x80)),
    logsBloom: z(256),
    difficulty: 1n,
    number,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1_700_000_000 + number * 12,
    extraData: Uint8Array.of(tag),
    mixHash: z(32),
    nonce: z(8),
    baseFeePerGas: 7n,
    withdrawalsRoot: keccak256(Uint8Array.of(0x80)),
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: z(32),
    requestsHash: z(32),
  };
  const rlp = encodeHeader(header);
  return { rlp, hash: keccak256(rlp), header };
}

/** All headers ever made (every branch), by hash; and branches as arrays indexed by number. */
export class SynthChain {
  readonly byHash = new Map<string, SynthHeader>();
  readonly main: SynthHeader[] = [];

  constructor(length: number) {
    let parent: Uint8Array = new Uint8Array(32);
    for (let n = 0; n < length; n++) {
      const h = makeHeader(parent, n, 0);
      this.add(h);
      this.main.push(h);
      parent = h.hash;
    }
  }

  private add(h: SynthHeader): void {
    this.byHash.set(hexOf(h.hash), h);
  }

  get genesis(): SynthHeader {
    return this.main[0] as SynthHeader;
  }

  /** A branch sharing `base` (a header of any branch) and adding `count` headers tagged `tag`. */
  fork(base: SynthHeader[], from: number, count: number, tag: number): SynthHeader[] {
    const branch = base.slice(0, from + 1);
    let parent = (branch[from] as SynthHeader).hash;
    for (let n = from + 1; n <= from + count; n++) {
      const h = makeHeader(parent, n, tag);
      this.add(h);
      branch.push(h);
      parent = h.hash;
    }
    return branch;
  }

  /** Extends a branch in place. */
  extend(branch: SynthHeader[], count: number, tag = 0): SynthHeader[] {
    const out = this.fork(branch, branch.length - 1, count, tag);
    branch.push(...out.slice(branch.length));
    return branch;
  }

}

/** The CHT of a branch, one root per section (cumulative), built with @ethereumjs/trie. */
export class SynthCht {
  readonly trie = new Trie();
  readonly roots: Uint8Array[] = [];

  static async build(branch: SynthHeader[], sectionSize: number): Promise<SynthCht> {
    const cht = new SynthCht();
    for (let s = 0; (s + 1) * sectionSize <= branch.length; s++) {
      for (let n = s * sectionSize; n < (s + 1) * sectionSize; n++) {
        await cht.trie.put(chtKey(n), encodeChtValue({ hash: (branch[n] as SynthHeader).hash, td: BigInt(n + 1) }));
      }
      cht.roots.push(cht.trie.root());
    }
    return cht;
  }

  async proof(section: number, n: number): Promise<Uint8Array[]> {
    const t = this.trie.shallowCopy(false);
    t.root(this.roots[section] as Uint8Array);
    return minimalProof(t, chtKey(n));
  }
}

/** How a synthetic server answers: its own branch for numbers, any known header for hashes. */
export interface ServerState {
  chain: SynthChain;
  branch: SynthHeader[];
  cht?: SynthCht;
  /** Replace a reply's headers (e.g. to lie). */
  tamperHeaders?: (headers: Uint8Array[]) => Uint8Array[];
}

export function synthHandler(state: ServerState): Handler {
  return async (code, request) => {
    if (code === Code.GetBlockHeaders) {
      const q = decodeGetBlockHeaders(request);
      const out: Uint8Array[] = [];
      let cur: SynthHeader | undefined =
        'hash' in q.origin ? state.chain.byHash.get(hexOf(q.origin.hash)) : state.branch[q.origin.number];
      while (cur !== undefined && out.length < q.amount) {
        out.push(cur.rlp);
        const n: number = cur.header.number + (q.reverse ? -(q.skip + 1) : q.skip + 1);
        // Reverse from a hash follows parent links (any branch); numbers read the server's branch.
        cur = q.reverse && q.skip === 0 ? state.chain.byHash.get(hexOf(cur.header.parentHash)) : n >= 0 ? state.branch[n] : undefined;
      }
      const headers = state.tamperHeaders ? state.tamperHeaders(out) : out;
      return encodeBlockHeaders({ reqID: q.reqID, bv: 1_000_000, headers });
    }
    if (code === Code.GetHelperTrieProofs) {
      const q = decodeGetHelperTrieProofs(request);
      const cht = state.cht;
      if (cht === undefined) return encodeHelperTrieProofs({ reqID: q.reqID, bv: 1, nodes: [], auxData: [] });
      const proofs: Uint8Array[][] = [];
      const auxData: Uint8Array[] = [];
      for (const r of q.reqs) {
        const root = cht.roots[r.sectionIdx];
        if (root === undefined) break;
        if (r.auxReq === 1) {
          // No BloomTrie here: every server reports the same stand-in root for it.
          auxData.push(r.subType === 0 ? root : keccak256(Uint8Array.of(r.sectionIdx)));
          continue;
        }
        if (r.subType !== 0) throw new Error('synthetic servers prove the CHT only');
        const n = Number(Buffer.from(r.key).readBigUInt64BE());
        proofs.push(await cht.proof(r.sectionIdx, n));
        if (r.auxReq === 2) auxData.push((state.branch[n] as SynthHeader).rlp);
      }
      return encodeHelperTrieProofs({ reqID: q.reqID, bv: 1, nodes: mergeProofs(...proofs), auxData });
    }
    throw new Error(`synthetic server does not serve code ${code}`);
  };
}

export function synthServer(seed: number, state: ServerState, trusted = true): FakeServer {
  const tip = state.branch[state.branch.length - 1] as SynthHeader;
  return new FakeServer({ seed, trusted, handler: synthHandler(state), head: { hash: tip.hash, number: tip.header.number, td: BigInt(tip.header.number + 1) } });
}

/** A signed announce of `h` by `server` (or by `signer`'s key, to forge one). */
export function announceOf(server: FakeServer, h: SynthHeader, options: { reorgDepth?: number; signer?: Uint8Array; unsigned?: boolean } = {}): Announce {
  const head = { headHash: h.hash, headNumber: h.header.number, headTd: BigInt(h.header.number + 1) };
  const a: Announce = { ...head, reorgDepth: options.reorgDepth ?? 0, updates: [] };
  if (!options.unsigned) a.signature = signAnnounce(options.signer ?? server.key, head);
  return a;
}

export function testConfig(genesis: SynthHeader, over: Partial<NetworkConfig> = {}): NetworkConfig {
  return { ...DEVNET, genesisHash: genesis.hash, sectionSize: 16, buildConfirmations: 4, useConfirmations: 4, ...over };
}
