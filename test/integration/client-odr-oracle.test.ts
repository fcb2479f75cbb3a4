// The checkpoint oracle as a trust anchor, against anvil. A contract with the reference oracle's
// storage layout (slot 2 index, 3 height, 4 hash) emits NewCheckpointVote logs; votes are signed
// with src/verify signCheckpoint by 3 of 5 configured signers (plus a repeated vote, a vote for
// another hash, and one by an outsider). The client reads it through storage proofs and verified
// receipts, accepts it only at or under the threshold of distinct trusted signers, and takes the
// checkpoint contents from a server only when they hash to the signed checkpoint.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Wallet, getCreateAddress, keccak256 as ethersKeccak, toBeHex } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { VerifiedHeader } from '../../src/client/contracts.js';
import { ChainError } from '../../src/client/chain/errors.js';
import { HeaderChain } from '../../src/client/chain/header-chain.js';
import { REFERENCE_ORACLE_LAYOUT, readOracleCheckpoint, trustOracleCheckpoint } from '../../src/client/chain/oracle.js';
import { OdrFacade } from '../../src/client/odr/facade.js';
import { type CheckpointOracle, DEVNET } from '../../src/config/network.js';
import { checkpointHash, decodeHeader, publicKeyOf, publicKeyToAddress, signCheckpoint } from '../../src/verify/index.js';
import { VerificationError } from '../../src/verify/errors.js';
import { Code } from '../../src/wire/codes.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { FakeRetriever, FakeServer } from '../helpers/fake-retriever.js';
import { type AnvilChain, AnvilLes, CHAIN_ID, KEY0, initCode, loadChain, word } from '../unit/client/odr-fixture.js';
import { hex, toHex } from '../unit/verify/helpers.js';

const SECTION = 8;
const INDEX = 1; // checkpoint of section 1: blocks 0..15

/**
 * Runtime: sstore(2, cd[0]); sstore(3, cd[32]); sstore(4, cd[64]); log2(cd[160:], cd[96], cd[128]).
 * Opcodes: PUSH1 0 CALLDATALOAD PUSH1 2 SSTORE, same for 0x20→3 and 0x40→4; PUSH1 80 CALLDATALOAD
 * PUSH1 60 CALLDATALOAD PUSH1 a0 CALLDATASIZE SUB DUP1 PUSH1 a0 PUSH1 0 CALLDATACOPY PUSH1 0 LOG2 STOP.
 */
const ORACLE_RUNTIME = '0x' + '600035600255' + '602035600355' + '604035600455' + '608035' + '606035' + '60a03603' + '80' + '60a0600037' + '6000a2' + '00';

const signerKeys = [11, 12, 13, 14, 15].map((i) => hex(ethersKeccak(toBeHex(i, 32))));
const signerAddrs = signerKeys.map((k) => publicKeyToAddress(publicKeyOf(k)));
const outsider = hex(ethersKeccak(toBeHex(99, 32)));

describe('checkpoint oracle against anvil', () => {
  let anvil: Anvil;
  let data: AnvilChain;
  let les: AnvilLes;
  let oracle: string;
  let height: number;
  let cpHash: Uint8Array;
  let servers: FakeServer[];

  const openChain = async (o: Partial<CheckpointOracle>, serverList = servers) => {
    const retriever = new FakeRetriever(serverList);
    const checkpointOracle: CheckpointOracle = { address: hex(oracle), signers: signerAddrs, threshold: 3, ...o };
    const chain = await HeaderChain.open({ config: { ...DEVNET, genesisHash: data.hashes[0], sectionSize: SECTION, useConfirmations: 4, checkpointOracle }, retriever });
    const top = data.headers.length - 1;
    const head: VerifiedHeader = { header: decodeHeader(data.headers[top] as Uint8Array), hash: data.hashes[top] as Uint8Array, rlp: data.headers[top] as Uint8Array };
    await chain.adopt(head);
    return { chain, retriever, odr: new OdrFacade({ retriever, chain }) };
  };

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    await anvil.rpc('anvil_mine', ['0x13']); // blocks 1..19
    const w = new Wallet(KEY0);
    let nonce = 0;
    const send = async (tx: Record<string, unknown>) =>
      anvil.rpc<string>('eth_sendRawTransaction', [await w.signTransaction({ chainId: CHAIN_ID, nonce: nonce++, gasLimit: 300_000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, type: 2, ...tx })]);
    oracle = getCreateAddress({ from: w.address, nonce: 0 });
    await send({ data: initCode(ORACLE_RUNTIME) }); // block 20
    // The checkpoint of section 1, from the helper tries an LES server builds over anvil's blocks.
    const early = new AnvilLes(anvil, await loadChain(anvil));
    await early.buildHelperTries(SECTION);
    const checkpoint = { sectionIndex: INDEX, sectionHead: early.chain.hashes[15] as Uint8Array, chtRoot: early.chtRoots[INDEX] as Uint8Array, bloomTrieRoot: early.bloomRoots[INDEX] as Uint8Array };
    cpHash = checkpointHash(checkpoint);
    height = Number(await anvil.rpc<string>('eth_blockNumber')) + 1;
    const vote = (hash: Uint8Array, sig: Uint8Array) => {
      const [r, s, v] = [sig.subarray(0, 32), sig.subarray(32, 64), sig[64] as number];
      const calldata = [word(BigInt(INDEX)), word(BigInt(height)), toHex(cpHash), toHex(REFERENCE_ORACLE_LAYOUT.voteTopic), word(BigInt(INDEX)), toHex(hash), word(BigInt(v)), toHex(r), toHex(s)];
      return send({ to: oracle, data: '0x' + calldata.map((x) => x.slice(2)).join('') });
    };
    await anvil.rpc('evm_setAutomine', [false]);
    const addr = hex(oracle);
    for (const k of signerKeys.slice(0, 3)) await vote(cpHash, signCheckpoint(k, addr, INDEX, cpHash));
    await vote(cpHash, signCheckpoint(signerKeys[0] as Uint8Array, addr, INDEX, cpHash)); // repeated
    await vote(cpHash, signCheckpoint(outsider, addr, INDEX, cpHash)); // not a configured signer
    const other = keccak256(Uint8Array.of(1));
    await vote(other, signCheckpoint(signerKeys[3] as Uint8Array, addr, INDEX, other)); // another hash
    await anvil.rpc('evm_mine');
    await anvil.rpc('evm_setAutomine', [true]);
    await anvil.rpc('anvil_mine', ['0x4']);
    data = await loadChain(anvil);
    les = new AnvilLes(anvil, data);
    les.know([oracle], [2n, 3n, 4n]);
    await les.buildHelperTries(SECTION);
    const top = data.headers.length - 1;
    servers = [new FakeServer({ seed: 1, handler: les.handler, head: { hash: data.hashes[top] as Uint8Array, number: top, td: 0n } })];
  });
  after(async () => anvil?.stop());

  it('reads index, height, hash and the votes from verified storage and receipts', async () => {
    const { chain, odr } = await openChain({});
    const cp = await readOracleCheckpoint(odr, chain, chain.config.checkpointOracle as CheckpointOracle, chain.head());
    assert.equal(cp.index, INDEX);
    assert.equal(cp.height, height);
    assert.equal(toHex(cp.hash), toHex(cpHash));
    assert.equal(cp.signatures.length, 5, '3 signers, a repeat and an outsider voted for this hash');
    assert.deepEqual(cp.signers.map(toHex).sort(), signerAddrs.slice(0, 3).map(toHex).sort());
  });

  it('accepts the checkpoint at threshold 3 and trusts its section (CHT for old headers)', async () => {
    const { chain, odr } = await openChain({ threshold: 3 });
    const section = await trustOracleCheckpoint(chain, odr);
    assert.equal(section?.index, INDEX);
    assert.equal(toHex(section?.sectionHead ?? new Uint8Array()), toHex(data.hashes[15] as Uint8Array));
    assert.equal(toHex(section?.chtRoot ?? new Uint8Array()), toHex(les.chtRoots[INDEX] as Uint8Array));
    assert.equal(chain.latestSection()?.index, INDEX);
    assert.equal(await trustOracleCheckpoint(chain, odr), undefined, 'nothing newer');
    assert.equal(toHex((await chain.headerByNumber(15)).hash), toHex(data.hashes[15] as Uint8Array));
  });

  it('refuses at threshold 4: the repeat and the outsider do not count', async () => {
    const { chain, odr } = await openChain({ threshold: 4 });
    await assert.rejects(trustOracleCheckpoint(chain, odr), (e: unknown) => e instanceof VerificationError && e.code === 'THRESHOLD_NOT_MET');
    assert.equal(chain.latestSection(), undefined);
  });

  it('refuses when the configured signers are others (only one of the voters is trusted)', async () => {
    const { chain, odr } = await openChain({ signers: [signerAddrs[2] as Uint8Array, ...signerAddrs.slice(3)], threshold: 2 });
    await assert.rejects(trustOracleCheckpoint(chain, odr), (e: unknown) => e instanceof VerificationError && e.code === 'THRESHOLD_NOT_MET');
  });

  it('takes contents only from a server whose roots hash to the signed checkpoint', async () => {
    const lying = new AnvilLes(anvil, data);
    lying.know([oracle], [2n, 3n, 4n]);
    await lying.buildHelperTries(SECTION);
    lying.tamper = (code, r) => {
      if (code === Code.GetHelperTrieProofs && r.auxData?.length === 1 && r.nodes?.length === 0) r.auxData[0] = keccak256(r.auxData[0] as Uint8Array);
    };
    const top = data.headers.length - 1;
    const liar = new FakeServer({ seed: 2, handler: lying.handler, head: { hash: data.hashes[top] as Uint8Array, number: top, td: 0n } });
    const both = await openChain({}, [liar, ...servers]);
    const section = await trustOracleCheckpoint(both.chain, both.odr);
    assert.equal(toHex(section?.chtRoot ?? new Uint8Array()), toHex(les.chtRoots[INDEX] as Uint8Array));
    const alone = await openChain({}, [liar]);
    await assert.rejects(trustOracleCheckpoint(alone.chain, alone.odr), (e: unknown) => e instanceof ChainError && e.code === 'ORACLE_CONTENTS');
  });
});
