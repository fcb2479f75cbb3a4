// Reading what the node and the operator hand the state module: prestate-tracer diffs, anvil
// dumps, genesis allocs. Fixtures are anvil 1.7.1's own answers (trimmed); malformed inputs must
// become typed errors naming the field.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { NodeRpcClient } from '../../../src/serve/rpc/client.js';
import { StateDiff } from '../../../src/serve/state/diff.js';
import { StateError } from '../../../src/serve/state/errors.js';
import { parseAnvilDump, parseGenesisAlloc, takeAnvilDump } from '../../../src/serve/state/start.js';
import { applyTrace } from '../../../src/serve/state/trace.js';

const A = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const C = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const Z = '0x0000000000000000000000000000000000000000';
const SLOT0 = `0x${'00'.repeat(32)}`;
const SLOT5 = `0x${'00'.repeat(31)}05`;
const k = (h: string) => h.slice(2).toLowerCase();
const isState = (code: string, field?: string | RegExp) => (e: unknown) =>
  e instanceof StateError && e.code === code && (field === undefined || (typeof field === 'string' ? e.field === field : field.test(e.field ?? '')));

// anvil 1.7.1, prague: a deployment whose constructor sets slot 0, then a call that sets slot 5 and
// one that clears slot 0 (debug_traceBlockByNumber with prestateTracer, diffMode).
const deployTrace = [
  {
    result: {
      post: {
        [Z]: { balance: '0x4618b92ea000' },
        [C]: { code: '0x6020356000355500', nonce: 1, storage: { [SLOT0]: `0x${'00'.repeat(31)}01` } },
        [A]: { balance: '0x21e19e0464c57089400', nonce: 1 },
      },
      pre: { [Z]: { balance: '0x0' }, [A]: { balance: '0x21e19e0c9bab2400000' } },
    },
    txHash: '0x59efcdd2f93fcbdbdd1387a3af783796253e99b57d579e4fc95535c980f17cf9',
  },
];
const storageTrace = [
  {
    result: {
      post: { [C]: { storage: { [SLOT5]: `0x${'00'.repeat(31)}09` } }, [A]: { balance: '0x21e19df4c9a8f2c067e', nonce: 4 } },
      pre: { [C]: { balance: '0x0', code: '0x6020356000355500', nonce: 1 }, [A]: { balance: '0x21e19df9255feb7d67e', nonce: 3 } },
    },
  },
  {
    result: {
      post: { [C]: {}, [A]: { balance: '0x21e19df29d3e137e77e', nonce: 5 } },
      pre: {
        [C]: { balance: '0x0', code: '0x6020356000355500', nonce: 1, storage: { [SLOT0]: `0x${'00'.repeat(31)}01` } },
        [A]: { balance: '0x21e19df4c9a8f2c067e', nonce: 4 },
      },
    },
  },
];
// anvil 1.7.1, shanghai: SELFDESTRUCT of a contract deployed earlier — in `pre`, not in `post`.
const destructTrace = [
  {
    result: {
      post: { [A]: { balance: '0x21e19dffd73d6b7b3d3', nonce: 3 } },
      pre: { [C]: { balance: '0x3e8', code: '0x3660065733ff5b600160005500', nonce: 1 }, [A]: { balance: '0x21e19e024fb504d17ee', nonce: 2 } },
    },
  },
];

describe('applyTrace (prestate tracer, diff mode)', () => {
  it('reads a deployment: code, nonce, storage, and balances', () => {
    const diff = new StateDiff();
    applyTrace(diff, deployTrace);
    const c = diff.accounts.get(k(C))!;
    assert.equal(Buffer.from(c.code!).toString('hex'), '6020356000355500');
    assert.equal(c.nonce, 1n);
    assert.equal(c.balance, undefined, 'a field missing from post is unchanged');
    assert.equal(c.storage.get(k(SLOT0)), 1n);
    assert.equal(diff.accounts.get(k(A))!.balance, 0x21e19e0464c57089400n);
    assert.equal(diff.accounts.get(k(Z))!.balance, 0x4618b92ea000n);
  });

  it('applies transactions in order; a slot in pre but not in post is cleared', () => {
    const diff = new StateDiff();
    applyTrace(diff, storageTrace);
    const c = diff.accounts.get(k(C))!;
    assert.equal(c.storage.get(k(SLOT5)), 9n);
    assert.equal(c.storage.get(k(SLOT0)), 0n);
    assert.equal(diff.accounts.get(k(A))!.nonce, 5n, 'the later transaction wins');
    assert.equal(c.destroyed, false);
  });

  it('an account in pre but not in post is destroyed, storage and all', () => {
    const diff = new StateDiff();
    diff.setStorage(Buffer.from(k(C), 'hex'), Buffer.from(k(SLOT0), 'hex'), 5n);
    applyTrace(diff, destructTrace);
    const c = diff.accounts.get(k(C))!;
    assert.equal(c.destroyed, true);
    assert.equal(c.storage.size, 0);
  });

  it('an empty block traces to no change', () => {
    const diff = new StateDiff();
    applyTrace(diff, []);
    assert.equal(diff.accounts.size, 0);
  });

  const broken: Array<[string, unknown, string | RegExp]> = [
    ['a result that is not a list', { post: {} }, 'result'],
    ['a transaction the node could not trace', [{ error: 'execution timeout' }], '[0].error'],
    ['a bad address key', [{ result: { pre: {}, post: { '0x1234': {} } } }], '[0].post'],
    ['a balance that is not a quantity', [{ result: { pre: {}, post: { [A]: { balance: 'lots' } } } }], `[0].post[0x${k(A)}].balance`],
    ['a negative nonce', [{ result: { pre: {}, post: { [A]: { nonce: -1 } } } }], `[0].post[0x${k(A)}].nonce`],
    ['a short storage key', [{ result: { pre: {}, post: { [C]: { storage: { '0x05': SLOT0 } } } } }], /storage$/],
    ['code that is not hex', [{ result: { pre: {}, post: { [C]: { code: 'PUSH1' } } } }], `[0].post[0x${k(C)}].code`],
    ['post that is a list', [{ result: { pre: {}, post: [] } }], '[0].post'],
  ];
  for (const [what, trace, field] of broken) {
    it(`rejects ${what} as STATE_BAD_TRACE naming the field`, () => {
      assert.throws(() => applyTrace(new StateDiff(), trace), isState('STATE_BAD_TRACE', field));
    });
  }
});

const dumpJson = {
  block: { number: '0x1' },
  accounts: {
    [A]: { nonce: 0, balance: '0x21e19e0c9bab2400000', code: '0x', storage: {} },
    '0x0000f90827f1c53a10cb7a02335b175320002935': { nonce: 0, balance: '0x0', code: '0x3373', storage: { [SLOT0]: `0x${'ab'.repeat(32)}`, [SLOT5]: `0x${'00'.repeat(32)}` } },
  },
  best_block_number: 1,
};
const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe('parseAnvilDump', () => {
  it('reads gzipped and plain dumps alike, keeping zero slots (anvil keeps them in its trie)', () => {
    for (const raw of [gzipSync(JSON.stringify(dumpJson)), Buffer.from(JSON.stringify(dumpJson))]) {
      const d = parseAnvilDump(hexOf(raw));
      assert.equal(d.number, 1);
      assert.equal(d.diff.accounts.size, 2);
      const h = d.diff.accounts.get('0000f90827f1c53a10cb7a02335b175320002935')!;
      assert.equal(h.storage.get(k(SLOT0)), BigInt(`0x${'ab'.repeat(32)}`));
      assert.equal(h.storage.get(k(SLOT5)), 0n);
      assert.equal(d.diff.accounts.get(k(A))!.balance, 0x21e19e0c9bab2400000n);
    }
  });

  const broken: Array<[string, unknown, string | RegExp]> = [
    ['a result that is not hex', 'H4sIAAAA', 'result'],
    ['a truncated gzip stream', hexOf(gzipSync(JSON.stringify(dumpJson)).subarray(0, 30)), 'result'],
    ['bytes that are not JSON', hexOf(Buffer.from('{"accounts":')), 'result'],
    ['accounts that are not an object', hexOf(Buffer.from(JSON.stringify({ accounts: [] }))), 'accounts'],
    ['a bad balance', hexOf(Buffer.from(JSON.stringify({ accounts: { [A]: { balance: '12abc' } } }))), /balance$/],
    ['a slot longer than 32 bytes', hexOf(Buffer.from(JSON.stringify({ accounts: { [A]: { storage: { [`0x${'01'.repeat(33)}`]: '0x1' } } } }))), /storage$/],
    ['a value wider than 256 bits', hexOf(Buffer.from(JSON.stringify({ accounts: { [A]: { storage: { [SLOT0]: `0x1${'00'.repeat(32)}` } } } }))), /storage\[/],
  ];
  for (const [what, input, field] of broken) {
    it(`rejects ${what} as STATE_BAD_DUMP`, () => {
      assert.throws(() => parseAnvilDump(input), isState('STATE_BAD_DUMP', field));
    });
  }
});

describe('parseGenesisAlloc', () => {
  it('reads go-ethereum notation: bare addresses, decimal balances, short slot keys; drops zero slots', () => {
    const diff = parseGenesisAlloc({
      config: { chainId: 1 },
      alloc: {
        [k(A)]: { balance: '1000000000000000000000' },
        [C]: { balance: '0x10', nonce: '0x2', code: '0x00', storage: { '0x01': '0x05', [SLOT5]: '0x00' } },
      },
    });
    assert.equal(diff.accounts.get(k(A))!.balance, 10n ** 21n);
    const c = diff.accounts.get(k(C))!;
    assert.equal(c.nonce, 2n);
    assert.equal(c.storage.get(`${'00'.repeat(31)}01`), 5n);
    assert.equal(c.storage.has(k(SLOT5)), false);
    assert.equal(parseGenesisAlloc({ [k(A)]: { balance: '0x1' } }).accounts.size, 1, 'a bare alloc object');
  });

  const broken: Array<[string, unknown, string | RegExp]> = [
    ['a file that is not an object', '[]', 'genesis'],
    ['an address of 19 bytes', { alloc: { [`0x${'11'.repeat(19)}`]: {} } }, /alloc\[/],
    ['a negative balance', { alloc: { [A]: { balance: '-1' } } }, /balance$/],
    ['a nonce past 64 bits', { alloc: { [A]: { nonce: `0x1${'00'.repeat(8)}` } } }, /nonce$/],
    ['storage that is a list', { alloc: { [A]: { storage: [] } } }, /storage$/],
  ];
  for (const [what, input, field] of broken) {
    it(`rejects ${what} as STATE_BAD_ALLOC`, () => {
      assert.throws(() => parseGenesisAlloc(input), isState('STATE_BAD_ALLOC', field));
    });
  }
});

describe('takeAnvilDump', () => {
  const block = (n: number, h: string) => ({
    number: `0x${n.toString(16)}`,
    hash: `0x${h.repeat(64)}`,
    parentHash: `0x${'0'.repeat(64)}`,
    stateRoot: `0x${'5'.repeat(64)}`,
    miner: Z,
    timestamp: '0x1',
    uncles: [],
  });
  function fakeNode(heads: Array<ReturnType<typeof block>>, dumps: unknown[]): { rpc: NodeRpcClient; calls: string[] } {
    const calls: string[] = [];
    const f: typeof fetch = async (_u, init) => {
      const req = JSON.parse(String(init?.body)) as { id: number; method: string };
      calls.push(req.method);
      const result = req.method === 'anvil_dumpState' ? dumps.shift() : heads.shift();
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: req.id, result }));
    };
    return { rpc: new NodeRpcClient({ url: 'http://127.0.0.1:1', fetch: f }), calls };
  }
  const dumpAt = (n: number) => hexOf(gzipSync(JSON.stringify({ ...dumpJson, block: { number: `0x${n.toString(16)}` } })));

  it('retries while the head moves during the dump, keeps the first consistent one', async () => {
    const { rpc, calls } = fakeNode([block(5, 'a'), block(6, 'b'), block(6, 'b'), block(6, 'b')], [dumpAt(5), dumpAt(6)]);
    const taken = await takeAnvilDump(rpc);
    assert.equal(taken.block.number, 6);
    assert.equal(calls.filter((c) => c === 'anvil_dumpState').length, 2);
  });

  it('retries when the dump says another block than the head', async () => {
    const { rpc } = fakeNode([block(6, 'b'), block(6, 'b'), block(6, 'b'), block(6, 'b')], [dumpAt(7), dumpAt(6)]);
    assert.equal((await takeAnvilDump(rpc)).block.number, 6);
  });

  it('gives up with STATE_DUMP_RACE when the chain never holds still', async () => {
    const heads = Array.from({ length: 6 }, (_, i) => block(10 + i, 'abcdef'[i]!));
    const { rpc } = fakeNode(heads, [dumpAt(10), dumpAt(12), dumpAt(14)]);
    await assert.rejects(takeAnvilDump(rpc, { attempts: 3 }), isState('STATE_DUMP_RACE'));
  });
});
