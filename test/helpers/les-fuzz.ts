/**
 * A seeded fuzzer of a running LES server, shared by the fuzz test (test/integration/serve-abuse)
 * and the long run (bench/serve-fuzz.ts):
 *  - mutated copies of well-formed requests of every type, over many short connections;
 *  - RLPx-level junk on raw TCP: random bytes, auth messages cut, flipped or followed by more
 *    bytes in the same write, and the recorded write that once froze `lesp serve`;
 *  - peers dropped for bad requests that then neither read nor close (through a SilentRelay);
 * while one well-behaved client checks every answer it gets against the chain (anvil's values).
 */
import { RequestTimeoutError, parseEnode } from '../../src/net/index.js';
import { accountKey, decodeHeader, headerHash, verifyAccountProof } from '../../src/verify/index.js';
import {
  Code,
  encodeGetBlockBodies,
  encodeGetBlockHeaders,
  encodeGetContractCodes,
  encodeGetHelperTrieProofs,
  encodeGetProofsV2,
  encodeGetReceipts,
  encodeGetTxStatus,
  encodeSendTxV2,
} from '../../src/wire/index.js';
import { LesTestClient } from './les-client.js';
import { FROZEN_HANDSHAKE, SilentRelay, authMessage, rawSocket } from './rlpx-raw.js';
import { prng } from './prng.js';

export { prng };

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

const randomBytes = (rand: () => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

/** Well-formed requests of every type at `headHash`: the fuzzer's seeds. */
export function requestSeeds(headHash: Uint8Array, account: Uint8Array): Array<[number, Uint8Array]> {
  const h = headHash;
  const k = accountKey(account);
  return [
    [Code.GetBlockHeaders, encodeGetBlockHeaders({ reqID: 1n, origin: { number: 1 }, amount: 5, skip: 1, reverse: false })],
    [Code.GetBlockHeaders, encodeGetBlockHeaders({ reqID: 2n, origin: { hash: h }, amount: 3, skip: 0, reverse: true })],
    [Code.GetBlockBodies, encodeGetBlockBodies({ reqID: 3n, hashes: [h, h] })],
    [Code.GetReceipts, encodeGetReceipts({ reqID: 4n, hashes: [h] })],
    [Code.GetContractCodes, encodeGetContractCodes({ reqID: 5n, reqs: [{ blockHash: h, accountKey: k }] })],
    [Code.GetProofsV2, encodeGetProofsV2({ reqID: 6n, reqs: [{ blockHash: h, accountKey: k, storageKey: new Uint8Array(32), fromLevel: 0 }] })],
    [Code.GetHelperTrieProofs, encodeGetHelperTrieProofs({ reqID: 7n, reqs: [{ subType: 0, sectionIdx: 0, key: new Uint8Array(8), fromLevel: 0, auxReq: 2 }] })],
    [Code.GetTxStatus, encodeGetTxStatus({ reqID: 8n, hashes: [h] })],
    [Code.SendTxV2, encodeSendTxV2({ reqID: 9n, txs: [Uint8Array.from([0x02, 0xc0])] })],
  ];
}

/** One to four edits: flips, truncations, insertions, duplicated slices, length prefixes, big counts. */
export function mutate(rand: () => number, seed: Uint8Array): Uint8Array {
  const out = [...seed];
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (out.length + 1));
    switch (Math.floor(rand() * 6)) {
      case 0: // flip a byte
        if (out.length > 0) out[at % out.length] = Math.floor(rand() * 256);
        break;
      case 1: // truncate
        out.length = at;
        break;
      case 2: // insert random bytes
        out.splice(at, 0, ...randomBytes(rand, 1 + Math.floor(rand() * 8)));
        break;
      case 3: // duplicate a slice
        out.splice(at, 0, ...out.slice(at, at + Math.floor(rand() * 40)));
        break;
      case 4: // a length-prefix byte
        if (out.length > 0) out[at % out.length] = [0x80, 0xb7, 0xb8, 0xc0, 0xf7, 0xf8, 0xff][Math.floor(rand() * 7)] as number;
        break;
      default: // set a big count where a small one was
        if (out.length > 2) out[at % out.length] = 0xff;
    }
  }
  return Uint8Array.from(out);
}

/** What a raw TCP connection sends before any RLPx handshake: one of six kinds of junk. */
export function rlpxJunk(rand: () => number, serverId: Uint8Array, holdsFrozenKey: boolean): Uint8Array {
  const kind = Math.floor(rand() * 6);
  if (kind === 0) return randomBytes(rand, Math.floor(rand() * 1200));
  if (kind === 5 && holdsFrozenKey) return FROZEN_HANDSHAKE.bytes;
  const auth = authMessage(serverId);
  if (kind === 1) return auth.subarray(0, Math.floor(rand() * auth.length)); // cut
  if (kind === 2) {
    const flipped = Uint8Array.from(auth);
    const at = Math.floor(rand() * flipped.length);
    flipped[at] = (flipped[at] as number) ^ (1 + Math.floor(rand() * 255));
    return flipped;
  }
  if (kind === 3) return Uint8Array.from([0xff, 0xff, ...auth.subarray(2)]); // an EIP-8 size of 65535
  // A valid auth and 32 or more bytes in the same write (no honest dialer can frame them yet).
  return Uint8Array.from([...auth, ...randomBytes(rand, 32 + Math.floor(rand() * 600))]);
}

export interface FuzzTarget {
  enode: string;
  networkId: bigint;
  genesisHash: Uint8Array;
  /** A head the server serves, and its state root (from the node). */
  head: { hash: string; stateRoot: string };
  /** An account whose proof at `head` the well-behaved client checks. */
  account: string;
  /** The server's key is FROZEN_HANDSHAKE.nodeKey, so the recorded bytes are a valid auth to it. */
  holdsFrozenKey: boolean;
}

export interface FuzzPlan {
  seed: number;
  /** Mutated LES messages to send in all. */
  messages: number;
  /** One raw TCP connection of RLPx junk per this many messages. */
  junkEvery: number;
  /** Most mutated messages per connection (fewer when the server drops it first). Default 80. */
  perConnection?: number;
  /** Peers dropped for bad requests that then go silent, spread over the run. */
  silentPeers: number;
  /** A well-behaved request unanswered this long counts as a hang. Default 10 s. */
  honestTimeoutMs?: number;
  /** Called every `progressEvery` messages. */
  progressEvery?: number;
  onProgress?(counts: FuzzCounts): void;
}

export interface FuzzCounts {
  messages: number;
  connections: number;
  junkConnections: number;
  silentPeers: number;
  /** Rounds of well-behaved requests (headers by number and hash, an account proof), all checked. */
  honestRounds: number;
  /** Well-behaved requests that timed out. */
  honestHangs: number;
  /** Anything else that went wrong for the well-behaved client (wrong answer, disconnect). */
  honestErrors: string[];
}

/** Sends `plan` at `target`; resolves when every part has finished. */
export async function fuzzLesServer(target: FuzzTarget, plan: FuzzPlan): Promise<FuzzCounts> {
  const rand = prng(plan.seed);
  const { id: serverId, port } = parseEnode(target.enode);
  const corpus = requestSeeds(bytes(target.head.hash), bytes(target.account));
  const counts: FuzzCounts = { messages: 0, connections: 0, junkConnections: 0, silentPeers: 0, honestRounds: 0, honestHangs: 0, honestErrors: [] };
  const timeoutMs = plan.honestTimeoutMs ?? 10_000;
  const connect = (enode: string, requestTimeoutMs: number, respectFlow = false): Promise<LesTestClient> =>
    LesTestClient.connect({ enode, networkId: target.networkId, genesisHash: target.genesisHash, requestTimeoutMs, respectFlow });

  let fuzzing = true;
  const honest = (async () => {
    let good = await connect(target.enode, timeoutMs, true);
    try {
      while (fuzzing) {
        try {
          const h = await good.headers({ origin: { number: 1 }, amount: 8, skip: 0, reverse: false });
          if (h.headers.map((r) => decodeHeader(r).number).join() !== '1,2,3,4,5,6,7,8') throw new Error('headers 1..8 not answered in order');
          const top = await good.headers({ origin: { hash: bytes(target.head.hash) }, amount: 1, skip: 0, reverse: false });
          if (top.headers[0] === undefined || hex(headerHash(top.headers[0])) !== target.head.hash) throw new Error('the head by hash is not the head');
          const p = await good.proofs([{ blockHash: bytes(target.head.hash), accountKey: accountKey(bytes(target.account)), storageKey: new Uint8Array(0), fromLevel: 0 }]);
          if (verifyAccountProof(bytes(target.head.stateRoot), bytes(target.account), p.nodes) === undefined) throw new Error('the account proof does not verify');
          counts.honestRounds++;
        } catch (err) {
          if (err instanceof RequestTimeoutError) counts.honestHangs++;
          else counts.honestErrors.push((err as Error).message);
          if (good.closed !== undefined) {
            await good.close();
            good = await connect(target.enode, timeoutMs, true);
          }
        }
      }
      if (good.closed !== undefined) counts.honestErrors.push(`the well-behaved client was disconnected (${good.closed.reasonName})`);
    } finally {
      await good.close();
    }
  })();

  const relay = await SilentRelay.start(port);
  const silent: LesTestClient[] = [];
  const silentAt = new Set(Array.from({ length: plan.silentPeers }, (_, i) => Math.floor(((i + 0.5) * plan.messages) / plan.silentPeers)));
  let nextProgress = plan.progressEvery ?? Infinity;
  let nextJunk = plan.junkEvery;
  try {
    while (counts.messages < plan.messages) {
      const f = await connect(target.enode, 500);
      counts.connections++;
      for (let i = 0; i < (plan.perConnection ?? 80) && f.closed === undefined && counts.messages < plan.messages; i++) {
        const [code, seed] = corpus[Math.floor(rand() * corpus.length)]!;
        // Mostly the seed's own code; sometimes another request code or any les/4 code.
        const r = rand();
        const sendCode = r < 0.8 ? code : r < 0.95 ? corpus[Math.floor(rand() * corpus.length)]![0] : Math.floor(rand() * 24);
        if (sendCode === Code.Status) continue;
        try {
          f.sendRaw(sendCode, rand() < 0.03 ? randomBytes(rand, Math.floor(rand() * 64)) : mutate(rand, seed));
        } catch {
          break; // the server closed the connection under us
        }
        counts.messages++;
        if (i % 8 === 7) await tick();
        if ([...silentAt].some((at) => at <= counts.messages)) {
          for (const at of silentAt) if (at <= counts.messages) silentAt.delete(at);
          const s = await connect(target.enode.replace(/:\d+$/, `:${relay.port}`), 500);
          relay.silence();
          for (let j = 0; j < 30; j++) s.sendRaw(Code.GetReceipts, Uint8Array.from([0xc2, 0x01, 0x01]));
          silent.push(s);
          counts.silentPeers++;
        }
        if (counts.messages >= nextJunk) {
          nextJunk += plan.junkEvery;
          const socket = await rawSocket(port);
          const junk = rlpxJunk(rand, serverId, target.holdsFrozenKey);
          socket.write(junk);
          counts.junkConnections++;
          setTimeout(() => socket.destroy(), 200).unref();
        }
        if (counts.messages >= nextProgress) {
          nextProgress += plan.progressEvery ?? Infinity;
          plan.onProgress?.(counts);
        }
      }
      await f.close();
    }
  } finally {
    fuzzing = false;
    await honest;
    await relay.close();
    await Promise.all(silent.map((s) => s.close()));
  }
  return counts;
}
