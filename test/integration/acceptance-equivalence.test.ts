// Acceptance (issue 4): the whole stack — anvil --hardfork prague ← two in-process LesServers (what
// `lesp serve` runs, sections of 64 blocks built 16 blocks past their end) ← LesClient (both servers
// trusted) ← LesProvider and the EIP-1193 object. A workload with transfers of every type (legacy,
// EIP-2930, EIP-1559, an EIP-7702 delegation), contract deployments (and a failed one), storage
// writes, events and reverts runs over 170 blocks, so helper-trie sections 0 and 1 are finished and
// trusted. Then every eth_* method of the issue answers, through both surfaces (provider.send and
// eip.request, the raw JSON), exactly what anvil's own JSON-RPC answers; ethers Contract reads,
// event queries and a Wallet that sends and waits work on the LesProvider.
//
// The client keeps a header window of 32 blocks, so every block up to section 1's end (127) comes
// by CHT proof (asserted from the scheduler's metrics), and eth_getLogs over the whole chain
// searches the two sections by BloomBits (asserted likewise) and the tail by header blooms.
//
// Node-specific differences, the only ones allowed (each explained where it is compared):
// - receipts: `blockTimestamp` (anvil adds it; not in the execution-apis receipt schema) and
//   `blobGasPrice` on non-blob receipts (anvil sets it on every receipt; geth and ours only on
//   type-3 ones).
// - blocks: `size` — anvil leaves the (empty) withdrawals list out of the block's RLP length; geth
//   and ours count it. Ours is checked against the RLP length of [header, txs, uncles, withdrawals]
//   built here from anvil's raw transactions and the verified header RLP (which hashes to anvil's
//   block hash).
// - blocks: `totalDifficulty` — anvil reports it on every block; geth no longer does (post-merge it
//   left the block object); ours has it where the header chain holds a proven TD (CHT entries,
//   announced heads) and there it must equal anvil's.
// - eth_getProof of an account with an empty storage trie: anvil lists the empty root node '0x80' as
//   each storage proof; geth (and ours: the LES proof of an empty trie has no nodes) lists none.
// - eth_getBlockByNumber('pending'): anvil builds a pending block on top of its head; a light
//   client's pending is its latest block (compared with anvil's 'latest').
// - eth_getLogs with more topic positions than a log has: anvil lets trailing nulls match absent
//   topics, geth (and ours) does not; compared with anvil's answer under geth's rule.
// - eth_feeHistory without percentiles: anvil answers `reward: []`, geth and ours leave it out; with
//   newestBlock below the head, anvil's next-block base fee entry is its pending base fee, geth's
//   and ours the base fee of block newest+1 (checked against that block as anvil serves it).
// - eth_call & co reverting with data that is not Error(string) or Panic: anvil prints the raw revert bytes as text in the
//   message; ours says "execution reverted" (code 3 and data, what callers decode, are equal).
// - state at block 0 ('earliest'): anvil's genesis header carries the empty-trie stateRoot while its
//   dev accounts are funded, so anvil's answer has no proof; the servers serve state from block 1
//   (their start state) and ours fails with the "no server can answer" error instead.
import assert from 'node:assert/strict';
import { after, before as nodeBefore, describe, it as nodeIt } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { AbiCoder, Contract, Interface, Wallet, id, isCallException, keccak256 } from 'ethers';
import type { LesClient, LesProvider } from '../../src/index.js';
import { ProviderRpcError } from '../../src/index.js';
import type { LesEip1193Provider } from '../../src/client/eip1193.js';
import { type Anvil, RpcError } from '../helpers/anvil.js';
import { type Devnet, clientAtHead, clientTrustsSection, serversIdle, startDevnet } from '../helpers/devnet-stack.js';
import { TOKEN_CTOR, forwarderRuntime, initcode, tokenRuntime } from '../unit/client/evm-asm.js';
import { ABSENT, CHAIN_ID, KEYS, RECIPIENT, TOPIC_A, TOPIC_B, type Workload, initCode, mined, runWorkload, runtime, word } from '../unit/client/methods-workload.js';

// Timeouts per hook and test: a stuck one fails by name instead of the whole file at its limit.
const before = (fn: () => Promise<void>) => nodeBefore(fn, { timeout: 150_000 });
const it = (name: string, fn: () => Promise<void> | void): void => void nodeIt(name, { timeout: 90_000 }, fn);

type Json = Record<string, unknown>;
const abi = AbiCoder.defaultAbiCoder();
const sel = (sig: string): string => id(sig).slice(0, 10);
const enc = (types: string[], values: unknown[]): string => abi.encode(types, values).slice(2);
const hex = (n: number) => `0x${n.toString(16)}`;
const STRANGER = '0x000000000000000000000000000000000000dead';
const TOKEN_ABI = [
  'function balanceOf(address) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function transfer(address to, uint256 amount) returns (bool)',
  'function failCustom(uint256 required)',
  'function divide(uint256 x) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'error InsufficientBalance(uint256 available, uint256 required)',
];
const WINDOW = 32;

function stripReceipt(r: unknown): unknown {
  if (r === null || typeof r !== 'object') return r;
  const out = { ...(r as Json) };
  delete out.blockTimestamp;
  if (out.type !== '0x3') delete out.blobGasPrice;
  return out;
}
const stripReceipts = (x: unknown) => (Array.isArray(x) ? x.map(stripReceipt) : x);
const noSize = (b: unknown) => (b === null ? b : { ...(b as Json), size: undefined, totalDifficulty: undefined });
const EMPTY_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
/** Storage proofs of an empty storage trie as geth gives them (no nodes). */
function gethProof(p: unknown): unknown {
  const x = p as Json;
  if (x.storageHash !== EMPTY_ROOT) return x;
  return { ...x, storageProof: (x.storageProof as Json[]).map((e) => ({ ...e, proof: (e.proof as string[]).filter((n) => n !== '0x80') })) };
}

describe('acceptance: every method through LesProvider equals anvil (anvil + 2 LES servers)', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let client: LesClient;
  let provider: LesProvider;
  let eip: LesEip1193Provider;
  let w: Workload;
  let acct: string;
  let other: string;
  let token: string;
  let fwd: string;
  let tokenBlock: number;
  let hashes: string[];
  let txs: Record<string, string>;

  const kind = (name: string) => client.parts?.scheduler.metrics().kinds[name]?.items.ok ?? 0;

  /** anvil's answer, then ours through the EIP-1193 object and through the ethers provider. */
  const same = async (method: string, params: unknown[], strip: (x: unknown) => unknown = (x) => x): Promise<unknown> => {
    const want = strip(await anvil.rpc(method, params));
    const viaEip = await eip.request({ method, params });
    assert.deepEqual(strip(viaEip), want, `eip1193 ${method} ${JSON.stringify(params)}`);
    assert.deepEqual(strip(await provider.send(method, params)), want, `ethers ${method} ${JSON.stringify(params)}`);
    return viaEip;
  };
  /** Both fail: the code and data of ours (EIP-1193) and of anvil's error. */
  const bothFail = async (method: string, params: unknown[]): Promise<{ ours: ProviderRpcError; theirs: RpcError }> => {
    const theirs = await anvil.rpc(method, params).then(
      () => assert.fail(`anvil answered ${method}`),
      (e: unknown) => e as RpcError,
    );
    const ours = await eip.request({ method, params }).then(
      () => assert.fail(`ours answered ${method}`),
      (e: unknown) => e as ProviderRpcError,
    );
    assert.ok(ours instanceof ProviderRpcError && theirs instanceof RpcError);
    return { ours, theirs };
  };

  before(async () => {
    devnet = await startDevnet({
      servers: 2,
      workload: async (a) => {
        w = await runWorkload(a);
        [acct, other] = (await a.rpc<string[]>('eth_accounts')) as [string, string];
        const send = async (tx: Json) => {
          const h = await a.rpc<string>('eth_sendTransaction', [{ from: acct, ...tx }]);
          await mined(a, h);
          return (await a.rpc<Json>('eth_getTransactionReceipt', [h])) as Json;
        };
        const deployed = await send({ data: initcode(tokenRuntime(), TOKEN_CTOR) });
        token = deployed.contractAddress as string;
        tokenBlock = Number(deployed.blockNumber);
        fwd = (await send({ data: initcode(forwarderRuntime()) })).contractAddress as string;
        for (const amount of [12345n, 678n]) await send({ to: token, data: sel('transfer(address,uint256)') + enc(['address', 'uint256'], [other, amount]) });
        await a.rpc('anvil_mine', ['0x2']);
      },
      client: {
        cacheSizes: { window: WINDOW },
        // anvil's safe and finalized blocks are one and two epochs (32 slots) behind its head.
        methods: { safeDepth: 32, finalityDepth: 64 },
        // State at block 0 is served by no one (see the file comment): fail that fast.
        timeouts: { noServerMs: 1000 },
      },
    });
    anvil = devnet.anvil;
    const surfaces = devnet.surfaces as NonNullable<Devnet['surfaces']>;
    ({ client, provider, eip } = surfaces);
    await clientTrustsSection(client, 1);
    hashes = [];
    for (let n = 0; n <= w.head + 6; n++) hashes.push((await anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false])).hash as string);
    txs = { ...w.txs };
  });
  after(async () => devnet?.stop());

  it('the chain: 170 blocks, sections 0 and 1 built by both servers and trusted by the client, a 32-block window', async () => {
    const head = Number(await anvil.rpc<string>('eth_blockNumber'));
    assert.ok(head >= 2 * 64 + 16, `head ${head}`);
    for (const s of devnet.servers) assert.ok(s.stats().sections >= 2, `server sections ${s.stats().sections}`);
    assert.equal(client.parts?.chain.latestSection()?.index, 1);
    assert.equal(client.parts?.chain.window().lo, head - WINDOW + 1);
  });

  it('eth_chainId, net_version, eth_blockNumber, eth_syncing', async () => {
    for (const m of ['eth_chainId', 'net_version', 'eth_blockNumber', 'eth_syncing']) await same(m, []);
    assert.equal(await same('eth_chainId', []), hex(CHAIN_ID));
  });

  const blockParams = () => [
    'latest', 'pending', 'safe', 'finalized', '0x2', '0x3', '0x6', '0x48', hex(tokenBlock),
    { blockNumber: '0x4' }, { blockHash: hashes[6], requireCanonical: true }, { blockHash: hashes[3] }, hashes[72] as string,
  ];
  const accounts = () => [...w.wallets.map((x) => x.address.toLowerCase()), w.contractA, w.contractB, token, fwd, RECIPIENT, ABSENT];

  it('eth_getBalance, eth_getTransactionCount, eth_getCode: every account at every kind of block param', async () => {
    for (const block of blockParams()) {
      for (const a of accounts()) {
        await same('eth_getBalance', [a, block]);
        await same('eth_getTransactionCount', [a, block]);
        await same('eth_getCode', [a, block]);
      }
    }
    // The 7702 EOA's code is its delegation designator.
    assert.equal(await same('eth_getCode', [w.delegated, 'latest']), `0xef0100${w.contractA.slice(2)}`);
  });

  it("state at block 0 ('earliest') has no proof: ours fails, anvil answers (see the file comment)", async () => {
    assert.equal(typeof (await anvil.rpc('eth_getBalance', [acct, 'earliest'])), 'string');
    await assert.rejects(eip.request({ method: 'eth_getBalance', params: [acct, 'earliest'] }), (e: unknown) => {
      return e instanceof ProviderRpcError && e.code === -32000 && (e.data as Json).code === 'NOT_SERVED';
    });
  });

  it('eth_getStorageAt: both workload contracts, the token, the delegated EOA, short and full keys', async () => {
    // The token keeps balances at keccak(holder ‖ 0) and the supply at slot 1.
    const holderSlot = (a: string) => BigInt(keccak256(abi.encode(['address', 'uint256'], [a, 0n])));
    const tokenSlots = [0n, 1n, holderSlot(acct), holderSlot(other)];
    for (const block of ['latest', '0x3', '0x4', '0x6', '0x48', hex(tokenBlock), { blockHash: hashes[143] }, 'finalized']) {
      for (const a of [w.contractA, w.contractB, w.delegated, token, ABSENT]) {
        for (const slot of [...w.slots, ...tokenSlots]) {
          const ours = await same('eth_getStorageAt', [a, word(slot), block]);
          assert.equal(await eip.request({ method: 'eth_getStorageAt', params: [a, `0x${slot.toString(16)}`, block] }), ours);
        }
      }
    }
  });

  it('eth_getProof for contracts, EOAs, the delegated EOA and an absent account', async () => {
    const keys = w.slots.map(word);
    for (const block of ['latest', '0x4', { blockHash: hashes[73] }, 'finalized']) {
      for (const a of [w.contractA, w.contractB, w.delegated, token, acct, ABSENT]) {
        await same('eth_getProof', [a, keys, block], gethProof);
        await same('eth_getProof', [a, [], block]);
      }
    }
  });

  /** The RLP length of block n: the verified header RLP, anvil's raw transactions and withdrawals. */
  const rlpSize = async (n: number) => {
    const raw = (await (client.parts as NonNullable<LesClient['parts']>).chain.headerByNumber(n)).rlp;
    const block = await anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false]);
    assert.equal(keccak256(raw), block.hash);
    const raws = await Promise.all((block.transactions as string[]).map((h) => anvil.rpc<string>('debug_getRawTransaction', [h])));
    const wire = raws.map((t) => (parseInt(t.slice(2, 4), 16) >= 0xc0 ? RLP.decode(t) : Buffer.from(t.slice(2), 'hex')));
    const withdrawals = ((block.withdrawals as Json[] | undefined) ?? []).map((x) => [x.index, x.validatorIndex, x.address, x.amount] as string[]);
    return hex(RLP.encode([RLP.decode(raw), wire as never, [], withdrawals]).length);
  };

  it('eth_getBlockByNumber / ByHash for every block, with and without transactions; old ones by CHT', async () => {
    const chtBefore = kind('chtHeader');
    let withTd = 0;
    const head = Number(await anvil.rpc<string>('eth_blockNumber'));
    for (let n = 0; n <= head; n++) {
      for (const full of [false, true]) {
        const ours = (await same('eth_getBlockByNumber', [hex(n), full], noSize)) as Json;
        assert.equal(ours.size, await rlpSize(n), `size of block ${n}`);
        if (ours.totalDifficulty !== undefined) {
          assert.equal(ours.totalDifficulty, (await anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false])).totalDifficulty);
          withTd++;
        }
        await same('eth_getBlockByHash', [hashes[n], full], noSize);
      }
    }
    // Blocks 0..127 (sections 0 and 1) lie below the window: each header came by a CHT proof (some
    // already for the state tests above), and the chain knows each one's canonical hash from it.
    const chain = (client.parts as NonNullable<LesClient['parts']>).chain;
    assert.ok(chain.window().lo > 127, 'the window never reached down into the sections');
    assert.ok(kind('chtHeader') >= 128 && kind('chtHeader') - chtBefore > 100, `CHT headers: ${kind('chtHeader')}, ${kind('chtHeader') - chtBefore} here`);
    for (let n = 0; n <= 127; n++) assert.equal(chain.knownCanonical(n), hashes[n]?.slice(2), `canonical hash of ${n}`);
    assert.ok(withTd >= 128, `blocks with a proven TD: ${withTd}`);
    for (const tag of ['latest', 'earliest', 'safe', 'finalized']) {
      await same('eth_getBlockByNumber', [tag, true], noSize);
      await same('eth_getBlockByNumber', [tag, false], noSize);
    }
    assert.deepEqual(noSize(await eip.request({ method: 'eth_getBlockByNumber', params: ['pending', true] })), noSize(await anvil.rpc('eth_getBlockByNumber', ['latest', true])));
    assert.equal(await same('eth_getBlockByNumber', [hex(head + 5), false]), null);
    assert.equal(await same('eth_getBlockByHash', [`0x${'12'.repeat(32)}`, true]), null);
  });

  it('eth_getBlockTransactionCountByNumber / ByHash', async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 6, 71, 72, 141, 142, tokenBlock, tokenBlock + 1]) {
      await same('eth_getBlockTransactionCountByNumber', [hex(n)]);
      await same('eth_getBlockTransactionCountByHash', [hashes[n]]);
    }
    for (const tag of ['latest', 'earliest', 'safe', 'finalized']) await same('eth_getBlockTransactionCountByNumber', [tag]);
    assert.equal(await same('eth_getBlockTransactionCountByHash', [`0x${'12'.repeat(32)}`]), null);
  });

  it('eth_getTransactionByHash, ByBlockHashAndIndex, ByBlockNumberAndIndex for every transaction', async () => {
    const all = [...Object.values(txs)];
    for (let n = tokenBlock; n <= tokenBlock + 3; n++) all.push(...((await anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false])).transactions as string[]));
    const types = new Set<string>();
    for (const hash of all) {
      const tx = (await same('eth_getTransactionByHash', [hash])) as Json;
      assert.ok(tx !== null);
      types.add(tx.type as string);
      await same('eth_getTransactionByBlockHashAndIndex', [tx.blockHash, tx.transactionIndex]);
      await same('eth_getTransactionByBlockNumberAndIndex', [tx.blockNumber, tx.transactionIndex]);
    }
    assert.deepEqual([...types].sort(), ['0x0', '0x1', '0x2', '0x4']);
    assert.equal(await same('eth_getTransactionByHash', [`0x${'34'.repeat(32)}`]), null);
    assert.equal(await same('eth_getTransactionByBlockNumberAndIndex', ['0x3', '0x9']), null);
    assert.equal(await same('eth_getTransactionByBlockHashAndIndex', [hashes[3], '0x4']), null);
  });

  it('eth_getTransactionReceipt (success, revert, creation, failed creation, 7702, logs) and eth_getBlockReceipts', async () => {
    const statuses: string[] = [];
    for (const hash of Object.values(txs)) statuses.push(((await same('eth_getTransactionReceipt', [hash], stripReceipt)) as Json).status as string);
    assert.ok(statuses.includes('0x0') && statuses.includes('0x1'));
    assert.equal(await same('eth_getTransactionReceipt', [`0x${'34'.repeat(32)}`]), null);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 71, 72, 141, 142, tokenBlock, tokenBlock + 2]) {
      await same('eth_getBlockReceipts', [hex(n)], stripReceipts);
      await same('eth_getBlockReceipts', [hashes[n]], stripReceipts);
    }
    await same('eth_getBlockReceipts', ['latest'], stripReceipts);
    await same('eth_getBlockReceipts', ['finalized'], stripReceipts);
  });

  it('eth_getLogs over the whole chain: the sections searched by BloomBits, the tail by header blooms', async () => {
    const whole = (f: Json = {}) => ({ fromBlock: 'earliest', toBlock: 'latest', ...f });
    const bloomBefore = kind('bloomBits');
    const logsA = (await same('eth_getLogs', [whole({ address: w.contractA })])) as Json[];
    // One address: three bloom bits in each of the two trusted sections.
    assert.ok(kind('bloomBits') - bloomBefore >= 6, `bloom bit vectors: ${kind('bloomBits') - bloomBefore}`);
    assert.ok(logsA.some((l) => Number(l.blockNumber) < 128) && logsA.some((l) => Number(l.blockNumber) > 128), 'logs in the sections and in the tail');
    const filters: Json[] = [
      whole(),
      whole({ address: [w.contractA, w.contractB] }),
      whole({ address: w.delegated }),
      whole({ address: ABSENT }),
      whole({ address: token }),
      whole({ topics: [TOPIC_B] }),
      whole({ topics: [null, word(BigInt(w.wallets[1]?.address as string))] }),
      whole({ topics: [[TOPIC_A, TOPIC_B], null, [word(2000n), word(5555n)]] }),
      whole({ topics: [id('Transfer(address,address,uint256)'), null, word(BigInt(other))] }),
      whole({ address: w.contractB, topics: [TOPIC_A] }),
      { fromBlock: '0x3', toBlock: '0x47', address: w.contractB },
      { fromBlock: '0x48', toBlock: '0x8e', address: [w.contractA, w.contractB] },
      { fromBlock: '0x7f', toBlock: '0x80' },
      { fromBlock: 'finalized', toBlock: 'latest' },
      { fromBlock: 'safe' },
      { blockHash: hashes[3] },
      { blockHash: hashes[142], topics: [TOPIC_A] },
      {},
    ];
    for (const f of filters) await same('eth_getLogs', [f]);
    assert.equal(((await same('eth_getLogs', [whole()])) as Json[]).length >= 10, true);
    // Trailing nulls (see the file comment): anvil's answer under geth's rule.
    const fourNulls = whole({ topics: [null, null, null, null] });
    const anvils = await anvil.rpc<Json[]>('eth_getLogs', [fourNulls]);
    assert.ok(anvils.length > 0);
    assert.deepEqual(await eip.request({ method: 'eth_getLogs', params: [fourNulls] }), anvils.filter((l) => (l.topics as string[]).length >= 4));
  });

  const transfer = (from: string, to: string, amount: bigint) => ({ from, to: token, data: sel('transfer(address,uint256)') + enc(['address', 'uint256'], [to, amount]) });
  const balanceOf = (holder: string) => ({ to: token, data: sel('balanceOf(address)') + enc(['address'], [holder]) });

  it('eth_call at several blocks (token reads, a contract calling another, a storage write), EIP-1898 params', async () => {
    const viaFwd = { to: fwd, data: `0x${enc(['address'], [token])}${balanceOf(other).data.slice(2)}` };
    for (const block of ['latest', hex(tokenBlock + 2), 'safe', { blockHash: hashes[tokenBlock + 3] }, { blockNumber: hex(tokenBlock + 1) }]) {
      for (const tx of [balanceOf(acct), balanceOf(other), { to: token, data: sel('totalSupply()') }, viaFwd, { from: acct, to: w.contractA, data: `0x${word(5n).slice(2)}${word(6n).slice(2)}` }]) {
        await same('eth_call', [tx, block]);
      }
    }
    // Before the token existed: a call to an account without code returns nothing.
    await same('eth_call', [balanceOf(acct), hex(tokenBlock - 1)]);
  });

  it('reverts: Error(string), custom error, Panic, bubbled up, a workload contract — code 3 with the same data', async () => {
    const cases = [
      transfer(STRANGER, acct, 5n),
      { from: acct, to: token, data: sel('failCustom(uint256)') + enc(['uint256'], [7n]) },
      { to: token, data: sel('divide(uint256)') + enc(['uint256'], [0n]) },
      { from: STRANGER, to: fwd, data: `0x${enc(['address'], [token])}${transfer(STRANGER, acct, 5n).data.slice(2)}` },
      { to: w.contractA, data: '0x' },
    ];
    for (const [i, tx] of cases.entries()) {
      for (const method of ['eth_call', 'eth_estimateGas']) {
        const { ours, theirs } = await bothFail(method, [tx, 'latest']);
        assert.equal(ours.code, 3, `${method} case ${i}`);
        assert.equal(theirs.code, 3, `${method} case ${i}`);
        assert.equal(ours.data, theirs.data, `${method} case ${i}`);
        if (i === 0 || i === 2 || i === 3) assert.equal(ours.message, theirs.message.replace(`${method}: `, ''), `${method} case ${i}`);
      }
    }
  });

  it('eth_estimateGas and eth_createAccessList equal anvil’s', async () => {
    const cases = [
      transfer(acct, fwd, 5n),
      transfer(other, acct, 100n),
      { from: acct, to: other, value: '0x1' },
      { from: acct, data: initCode(runtime(TOPIC_A)) },
      { from: acct, to: w.contractB, data: `0x${word(0x99n).slice(2)}${word(1n).slice(2)}` },
      { from: acct, to: fwd, data: `0x${enc(['address'], [token])}${transfer(acct, other, 0n).data.slice(2)}` },
    ];
    for (const block of ['latest', hex(tokenBlock + 3)]) {
      for (const tx of cases) {
        await same('eth_estimateGas', [tx, block]);
        await same('eth_createAccessList', [tx, block]);
      }
    }
  });

  it('eth_gasPrice, eth_maxPriorityFeePerGas, eth_feeHistory', async () => {
    await same('eth_gasPrice', []);
    await same('eth_maxPriorityFeePerGas', []);
    const head = Number(await anvil.rpc<string>('eth_blockNumber'));
    const sameHistory = async (params: unknown[], strip: (x: Json) => Json = (x) => x) => {
      const ours = strip((await eip.request({ method: 'eth_feeHistory', params })) as Json);
      assert.deepEqual(strip((await provider.send('eth_feeHistory', params)) as Json), ours);
      const theirs = strip(await anvil.rpc<Json>('eth_feeHistory', params));
      const newest = Number(ours.oldestBlock) + (ours.gasUsedRatio as number[]).length - 1;
      if (newest < head) {
        const fees = ours.baseFeePerGas as string[];
        const next = await anvil.rpc<Json>('eth_getBlockByNumber', [hex(newest + 1), false]);
        assert.equal(fees[fees.length - 1], next.baseFeePerGas, `next base fee after ${newest}`);
        const cut = (x: Json) => ({ ...x, baseFeePerGas: (x.baseFeePerGas as string[]).slice(0, -1) });
        assert.deepEqual(cut(ours), cut(theirs), JSON.stringify(params));
      } else {
        assert.deepEqual(ours, theirs, JSON.stringify(params));
      }
    };
    for (const params of [
      ['0x5', 'latest', [10, 50, 90]],
      ['0x8', '0x6', [0, 25, 50, 75, 100]],
      ['0x1', '0x3', [50]],
      ['0x3', '0x49', [0, 100]],
      ['0xc8', hex(head), [25, 75]],
      [4, hex(tokenBlock + 1), [1.5, 60.25]],
    ]) {
      await sameHistory(params);
    }
    const noReward = (x: Json) => ({ ...x, reward: undefined });
    await sameHistory(['0x6', '0x6', []], noReward);
    await sameHistory(['0x6', 'latest'], noReward);
  });

  it('ethers Contract reads and reverts, queryFilter over the whole chain', async () => {
    const c = new Contract(token, TOKEN_ABI, provider);
    const iface = new Interface(TOKEN_ABI);
    for (const holder of [acct, other, STRANGER]) {
      assert.equal(await c.getFunction('balanceOf')(holder), BigInt(await anvil.rpc<string>('eth_call', [{ to: token, data: iface.encodeFunctionData('balanceOf', [holder]) }, 'latest'])));
    }
    assert.equal(await c.getFunction('totalSupply')(), BigInt(await anvil.rpc<string>('eth_call', [{ to: token, data: iface.encodeFunctionData('totalSupply') }, 'latest'])));
    assert.equal(await c.getFunction('balanceOf')(other, { blockTag: tokenBlock + 2 }), BigInt(await anvil.rpc<string>('eth_call', [balanceOf(other), hex(tokenBlock + 2)])));
    await assert.rejects(c.getFunction('transfer').staticCall(acct, 1n, { from: STRANGER }), (e: unknown) => isCallException(e) && e.reason === 'insufficient balance');
    await assert.rejects(c.getFunction('failCustom').staticCall(5n, { from: acct }), (e: unknown) => isCallException(e) && e.revert?.name === 'InsufficientBalance');
    await assert.rejects(c.getFunction('divide')(0n), (e: unknown) => isCallException(e) && e.revert?.name === 'Panic');
    const events = await c.queryFilter('Transfer', 0, 'latest');
    const logs = await anvil.rpc<Json[]>('eth_getLogs', [{ address: token, fromBlock: '0x0', toBlock: 'latest' }]);
    assert.deepEqual(
      events.map((e) => [e.blockNumber, e.transactionHash, e.index, e.data, e.topics]),
      logs.map((l) => [Number(l.blockNumber), l.transactionHash, Number(l.logIndex), l.data, l.topics]),
    );
    assert.equal(events.length, 2);
    const toOther = await c.queryFilter(c.filters.Transfer?.(null, other) ?? 'Transfer', tokenBlock, tokenBlock + 3);
    assert.equal(toOther.length, 2);
  });

  it('eth_sendRawTransaction: the hash, then the transaction and receipt once included equal anvil’s', async () => {
    const wallet = new Wallet(KEYS[2] as string);
    const nonce = Number(await eip.request({ method: 'eth_getTransactionCount', params: [wallet.address, 'pending'] }));
    assert.equal(nonce, Number(await anvil.rpc<string>('eth_getTransactionCount', [wallet.address, 'pending'])));
    const raw = await wallet.signTransaction({ chainId: CHAIN_ID, nonce, type: 2, to: RECIPIENT, value: 99n, gasLimit: 21000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n });
    const hash = (await eip.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
    await mined(anvil, hash);
    await serversIdle(anvil, devnet.servers);
    await clientAtHead(anvil, client);
    const tx = (await same('eth_getTransactionByHash', [hash])) as Json;
    assert.notEqual(tx.blockHash, null);
    assert.equal(((await same('eth_getTransactionReceipt', [hash], stripReceipt)) as Json).status, '0x1');
    await same('eth_getBalance', [RECIPIENT, 'latest']);
    await same('eth_getTransactionCount', [wallet.address, 'latest']);
  });

  it('a Wallet on the LesProvider sends (nonce, fees, gas from the provider) and tx.wait() resolves; results equal anvil’s', async () => {
    const wallet = new Wallet(KEYS[0] as string, provider);
    const c = new Contract(token, TOKEN_ABI, wallet);
    const tx = await c.getFunction('transfer')(RECIPIENT, 4242n);
    const receipt = await tx.wait(1, 60_000);
    assert.equal(receipt?.status, 1);
    const theirs = await anvil.rpc<Json>('eth_getTransactionReceipt', [tx.hash]);
    assert.equal(receipt?.blockHash, theirs.blockHash);
    assert.equal(receipt?.gasUsed, BigInt(theirs.gasUsed as string));
    assert.equal(receipt?.logs.length, 1);
    const sent = await wallet.sendTransaction({ to: STRANGER, value: 31337n });
    assert.equal((await sent.wait(1, 60_000))?.status, 1);
    await clientAtHead(anvil, client);
    assert.equal(await provider.getBalance(STRANGER), BigInt(await anvil.rpc<string>('eth_getBalance', [STRANGER, 'latest'])));
    assert.equal(await new Contract(token, TOKEN_ABI, provider).getFunction('balanceOf')(RECIPIENT), 4242n);
    await same('eth_getBlockByNumber', ['latest', true], noSize);
    await same('eth_getLogs', [{ fromBlock: 'earliest', address: token }]);
  });
});
