/**
 * TEST-ONLY lying and slow LES servers: a real, running LesServer whose replies pass through the
 * dispatcher's `replyTransform` seam on their way out. A `Tamperer` alters exactly one thing per
 * lie, in the bytes the client receives (so the server's own stores and proofs stay honest):
 *
 *   balance      ProofsV2: the balance in the proven account's leaf (+1 wei)
 *   proof-drop   ProofsV2: the last proof node left out
 *   proof-extra  ProofsV2: one more node, used by no key
 *   header       BlockHeaders, and CHT headers (HelperTrieProofs auxData): extraData changed
 *   receipt      Receipts: a receipt's cumulative gas used (+1)
 *   log          Receipts: a log removed from a receipt that has logs
 *   bloom        HelperTrieProofs (BloomBits): a bit of the asked bloom vector flipped in its leaf
 *   code         ContractCodes: a byte of the code changed
 *   receipt-bomb Receipts: the first receipt replaced by a typed receipt holding a 4,000,000-item list
 *   aux-bomb     HelperTrieProofs (CHT): the auxData header replaced by a 4,000,000-item list
 *   forged-block BlockHeaders by hash: for a hash in `forgedHeaders` (a header the test made, whose
 *                hash it hands the caller), that header instead of the server's empty answer
 *
 * `delayMs` holds every reply back that long (a slow but honest server); `hold` keeps replies back
 * until `uninstall()` (a server that stopped answering). `forgeAnnounces` sends a
 * server's clients announces it did not sign properly. `told` counts the lies actually sent.
 */
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import type { LesServer } from '../../src/serve/index.js';
import type { ReplyTransform } from '../../src/serve/server/dispatcher.js';
import { signAnnounce } from '../../src/verify/announce-signature.js';
import {
  Code,
  type GetBlockHeaders,
  type GetHelperTrieProofs,
  type GetProofsV2,
  HelperTrieType,
  codecOf,
  encodeAnnounce,
  encodeBlockHeaders,
  encodeContractCodes,
  encodeHelperTrieProofs,
  encodeProofsV2,
  encodeReceipts,
} from '../../src/wire/index.js';
import { BOMB_ITEMS, typedEnvelope, wideList } from './rlp-bombs.js';

export const LIES = ['balance', 'proof-drop', 'proof-extra', 'header', 'receipt', 'log', 'bloom', 'code', 'receipt-bomb', 'aux-bomb', 'forged-block'] as const;
export type Lie = (typeof LIES)[number];

type Node = Uint8Array | Node[];
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

function nibblesOf(key: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of key) out.push(b >> 4, b & 15);
  return out;
}

/** Hex-prefix path of a short node: its nibbles and whether it is a leaf. */
function hexPrefix(encoded: Uint8Array): { path: number[]; leaf: boolean } {
  const nibs = nibblesOf(encoded);
  const flag = nibs[0] as number;
  return { path: nibs.slice(flag % 2 === 1 ? 1 : 2), leaf: flag >= 2 };
}

/**
 * The proof `nodes` with the value stored under `key` replaced by `alter(value)`: walks from each
 * node taken as the root (the root comes first in practice) along `key`, through hashed and
 * embedded children, and re-encodes the hashed node that holds the leaf. Undefined when no leaf
 * for `key` is in the proof (an absence proof).
 */
export function alterProvenValue(nodes: readonly Uint8Array[], key: Uint8Array, alter: (value: Uint8Array) => Uint8Array): Uint8Array[] | undefined {
  const decoded = nodes.map((n) => RLP.decode(n) as Node);
  const byHash = new Map(nodes.map((n, i) => [hexOf(keccak256(n)), i]));
  const follow = (child: Node | undefined, nibs: number[], holder: number, depth: number): number | undefined => {
    if (child === undefined || depth > 64) return undefined;
    if (child instanceof Uint8Array) {
      const j = child.length === 32 ? byHash.get(hexOf(child)) : undefined;
      return j === undefined ? undefined : descend(decoded[j] as Node, nibs, j, depth + 1);
    }
    return descend(child, nibs, holder, depth + 1);
  };
  const descend = (node: Node, nibs: number[], holder: number, depth: number): number | undefined => {
    if (node instanceof Uint8Array) return undefined;
    if (node.length === 17) return nibs.length === 0 ? undefined : follow(node[nibs[0] as number], nibs.slice(1), holder, depth);
    if (node.length !== 2 || !(node[0] instanceof Uint8Array)) return undefined;
    const { path, leaf } = hexPrefix(node[0]);
    if (path.some((n, i) => nibs[i] !== n)) return undefined;
    const rest = nibs.slice(path.length);
    if (!leaf) return follow(node[1], rest, holder, depth);
    if (rest.length !== 0 || !(node[1] instanceof Uint8Array)) return undefined;
    node[1] = alter(node[1]);
    return holder;
  };
  const nibs = nibblesOf(key);
  for (let root = 0; root < decoded.length; root++) {
    const changed = descend(decoded[root] as Node, nibs, root, 0);
    if (changed !== undefined) {
      const out = [...nodes];
      out[changed] = RLP.encode(decoded[changed] as never);
      return out;
    }
  }
  return undefined;
}

/** A header RLP with another extraData (field 12). */
function alterHeader(rlp: Uint8Array): Uint8Array {
  const fields = RLP.decode(rlp) as Uint8Array[];
  fields[12] = Uint8Array.from([...(fields[12] as Uint8Array), 0x6c]);
  return RLP.encode(fields);
}

/** A receipt's canonical form (legacy RLP, or type ‖ RLP) with `edit` applied to its fields. */
function alterReceipt(receipt: Uint8Array, edit: (fields: Node[]) => boolean): Uint8Array | undefined {
  const typed = (receipt[0] as number) < 0x80;
  const fields = RLP.decode(typed ? receipt.subarray(1) : receipt) as Node[];
  if (!edit(fields)) return undefined;
  const body = RLP.encode(fields as never);
  return typed ? Uint8Array.from([receipt[0] as number, ...body]) : body;
}

/** An RLP integer's bytes, plus one. */
const bump = (b: Uint8Array): Uint8Array => {
  const h = (BigInt(`0x${hexOf(b) || '0'}`) + 1n).toString(16);
  return Uint8Array.from(Buffer.from(h.length % 2 === 1 ? `0${h}` : h, 'hex'));
};

type Reply = Parameters<ReplyTransform>[0];

/** The lie applied to one reply: the bytes to send instead, or undefined for "nothing to alter here". */
const TELL: Record<Lie, (r: Reply, forgedHeaders: ReadonlyMap<string, Uint8Array>) => Uint8Array | undefined> = {
  balance(r) {
    if (r.code !== Code.GetProofsV2) return undefined;
    const reply = codecOf(Code.ProofsV2).decode(r.bytes);
    for (const q of (r.request as GetProofsV2).reqs) {
      const nodes = alterProvenValue(reply.nodes, q.accountKey, (value) => {
        const account = RLP.decode(value) as Uint8Array[];
        account[1] = bump(account[1] as Uint8Array);
        return RLP.encode(account);
      });
      if (nodes !== undefined) return encodeProofsV2({ ...reply, nodes });
    }
    return undefined;
  },
  'proof-drop'(r) {
    if (r.code !== Code.GetProofsV2) return undefined;
    const reply = codecOf(Code.ProofsV2).decode(r.bytes);
    return reply.nodes.length < 2 ? undefined : encodeProofsV2({ ...reply, nodes: reply.nodes.slice(0, -1) });
  },
  'proof-extra'(r) {
    if (r.code !== Code.GetProofsV2) return undefined;
    const reply = codecOf(Code.ProofsV2).decode(r.bytes);
    if (reply.nodes.length === 0) return undefined;
    const stray = RLP.encode([Uint8Array.of(0x20, 0xab), Uint8Array.from(Buffer.alloc(40, 7))]);
    return encodeProofsV2({ ...reply, nodes: [...reply.nodes, stray] });
  },
  header(r) {
    if (r.code === Code.GetBlockHeaders) {
      const reply = codecOf(Code.BlockHeaders).decode(r.bytes);
      if (reply.headers.length === 0) return undefined;
      return encodeBlockHeaders({ ...reply, headers: [alterHeader(reply.headers[0] as Uint8Array), ...reply.headers.slice(1)] });
    }
    if (r.code !== Code.GetHelperTrieProofs) return undefined;
    const asked = (r.request as GetHelperTrieProofs).reqs;
    const reply = codecOf(Code.HelperTrieProofs).decode(r.bytes);
    if (asked[0]?.subType !== HelperTrieType.CHT || asked[0].auxReq !== 2 || reply.auxData.length === 0) return undefined;
    return encodeHelperTrieProofs({ ...reply, auxData: [alterHeader(reply.auxData[0] as Uint8Array), ...reply.auxData.slice(1)] });
  },
  receipt(r) {
    if (r.code !== Code.GetReceipts) return undefined;
    const reply = codecOf(Code.Receipts).decode(r.bytes);
    for (const [b, list] of reply.receipts.entries()) {
      if (list.length === 0) continue;
      const changed = alterReceipt(list[0] as Uint8Array, (f) => ((f[1] = bump(f[1] as Uint8Array)), true)) as Uint8Array;
      const receipts = reply.receipts.map((l, i) => (i === b ? [changed, ...l.slice(1)] : l));
      return encodeReceipts({ ...reply, receipts });
    }
    return undefined;
  },
  log(r) {
    if (r.code !== Code.GetReceipts) return undefined;
    const reply = codecOf(Code.Receipts).decode(r.bytes);
    for (const [b, list] of reply.receipts.entries()) {
      for (const [i, receipt] of list.entries()) {
        const changed = alterReceipt(receipt, (f) => {
          const logs = f[3] as Node[];
          if (logs.length === 0) return false;
          f[3] = logs.slice(0, -1);
          return true;
        });
        if (changed === undefined) continue;
        const receipts = reply.receipts.map((l, j) => (j === b ? l.map((x, k) => (k === i ? changed : x)) : l));
        return encodeReceipts({ ...reply, receipts });
      }
    }
    return undefined;
  },
  bloom(r) {
    if (r.code !== Code.GetHelperTrieProofs) return undefined;
    const asked = (r.request as GetHelperTrieProofs).reqs;
    if (asked[0]?.subType !== HelperTrieType.BloomBits) return undefined;
    const reply = codecOf(Code.HelperTrieProofs).decode(r.bytes);
    for (const q of asked) {
      const nodes = alterProvenValue(reply.nodes, q.key, (vector) => {
        const out = Uint8Array.from(vector);
        out[out.length - 1] = (out[out.length - 1] as number) ^ 0x01;
        return out;
      });
      if (nodes !== undefined) return encodeHelperTrieProofs({ ...reply, nodes });
    }
    return undefined;
  },
  code(r) {
    if (r.code !== Code.GetContractCodes) return undefined;
    const reply = codecOf(Code.ContractCodes).decode(r.bytes);
    const i = reply.codes.findIndex((c) => c.length > 0);
    if (i < 0) return undefined;
    const codes = reply.codes.map((c, j) => (j === i ? Uint8Array.from([...c.subarray(0, -1), (c[c.length - 1] as number) ^ 0xff]) : c));
    return encodeContractCodes({ ...reply, codes });
  },
  'receipt-bomb'(r) {
    if (r.code !== Code.GetReceipts) return undefined;
    const reply = codecOf(Code.Receipts).decode(r.bytes);
    const b = reply.receipts.findIndex((l) => l.length > 0);
    if (b < 0) return undefined;
    const bomb = typedEnvelope(wideList(BOMB_ITEMS));
    const receipts = reply.receipts.map((l, i) => (i === b ? [bomb, ...l.slice(1)] : l));
    return encodeReceipts({ ...reply, receipts });
  },
  'forged-block'(r, forgedHeaders) {
    if (r.code !== Code.GetBlockHeaders) return undefined;
    const origin = (r.request as GetBlockHeaders).origin;
    const forged = 'hash' in origin ? forgedHeaders.get(hexOf(origin.hash)) : undefined;
    if (forged === undefined) return undefined;
    return encodeBlockHeaders({ ...codecOf(Code.BlockHeaders).decode(r.bytes), headers: [forged] });
  },
  'aux-bomb'(r) {
    if (r.code !== Code.GetHelperTrieProofs) return undefined;
    const asked = (r.request as GetHelperTrieProofs).reqs;
    const reply = codecOf(Code.HelperTrieProofs).decode(r.bytes);
    if (asked[0]?.subType !== HelperTrieType.CHT || asked[0].auxReq !== 2 || reply.auxData.length === 0) return undefined;
    return encodeHelperTrieProofs({ ...reply, auxData: [wideList(BOMB_ITEMS), ...reply.auxData.slice(1)] });
  },
};

/** Installs itself on a running LesServer's dispatcher; `uninstall()` takes it off. */
export class Tamperer {
  /** The lie told now (undefined: honest). */
  lie: Lie | undefined;
  /** Every reply is held back this long (a slow server). */
  delayMs = 0;
  /** While true, replies are held back until uninstall() (a server that stopped answering). */
  hold = false;
  /** Replies held so far. */
  held = 0;
  readonly #release: Array<() => void> = [];
  /** Lies sent, by kind. */
  readonly told: Record<Lie, number> = Object.fromEntries(LIES.map((l) => [l, 0])) as Record<Lie, number>;
  /** For 'forged-block': header RLPs by the hex of their hash. */
  readonly forgedHeaders = new Map<string, Uint8Array>();
  readonly #server: LesServer;

  constructor(server: LesServer, options: { lie?: Lie; delayMs?: number } = {}) {
    this.#server = server;
    this.lie = options.lie;
    this.delayMs = options.delayMs ?? 0;
    server.service.dispatcher.replyTransform = (r) => this.#transform(r);
  }

  /** Takes the transform off and lets held replies go (to clients still connected). */
  uninstall(): void {
    if (this.#server.started) this.#server.service.dispatcher.replyTransform = undefined;
    this.hold = false;
    for (const release of this.#release.splice(0)) release();
  }

  async #transform(r: Reply): Promise<Uint8Array> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.hold) {
      this.held++;
      await new Promise<void>((resolve) => this.#release.push(resolve));
    }
    const lie = this.lie;
    if (lie === undefined) return r.bytes;
    const forged = TELL[lie](r, this.forgedHeaders);
    if (forged === undefined) return r.bytes;
    this.told[lie]++;
    return forged;
  }
}

/**
 * Sends every client of `server` two forged announces: a head one above the server's own, signed
 * by a key that is not the server's; and one signed by the server's key (`nodeKey`) for a head
 * that is not above the one it announced last. Returns how many were sent.
 */
export function forgeAnnounces(server: LesServer, nodeKey: Uint8Array): number {
  const head = server.stats().head;
  const fake = { headHash: keccak256(Buffer.from(`forged ${head.hash}`)), headNumber: head.number + 1, headTd: BigInt(head.td) + 1n };
  const stale = { headHash: keccak256(Buffer.from(`stale ${head.hash}`)), headNumber: head.number, headTd: BigInt(head.td) };
  let sent = 0;
  for (const session of server.service.sessions) {
    if (session.closed) continue;
    const other = secp256k1.utils.randomPrivateKey();
    session.send(Code.Announce, encodeAnnounce({ ...fake, reorgDepth: 0, updates: [], signature: signAnnounce(other, fake) }));
    session.send(Code.Announce, encodeAnnounce({ ...stale, reorgDepth: 0, updates: [], signature: signAnnounce(nodeKey, stale) }));
    sent += 2;
  }
  return sent;
}
