/**
 * The local EVM's limits through the real stack (anvil ← 2 LES servers ← LesClient ← proxy): an
 * infinite loop fails with geth's timeout error while the proxy keeps answering, and the EVM takes
 * no step after it; a caller's gas above the cap is capped (as anvil answers at the cap);
 * eth_estimateGas of a loop stops at the same limit; an HTTP client that goes away, or an
 * AbortSignal given to LesClient.request or the EIP-1193 request, stops the EVM (on a client with
 * neither a time limit nor a gas cap, where nothing else would); and the KZG point-evaluation
 * precompile answers as anvil does.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EVMInterface } from '@ethereumjs/evm';
import { type LesClient, createEip1193Provider } from '../../src/index.js';
import { type RunningProxy, lesBackend, startProxy } from '../../src/proxy/index.js';
import { type Devnet, type ClientSurfaces, startClient, startDevnet, until } from '../helpers/devnet-stack.js';
import { RpcError } from '../helpers/anvil.js';

const EVM_TIMEOUT_MS = 500;
/** anvil's block gas limit: anvil answers a call of this much gas. */
const GAS_CAP = 30_000_000n;
/** JUMPDEST; PUSH1 0; JUMP — forever. */
const LOOP = '0x5b600056';
/** GAS; PUSH1 0; MSTORE; PUSH1 32; PUSH1 0; RETURN — the gas left, as a word. */
const GAS_LEFT = '0x5a60005260206000f3';
const PROBE = '0x00000000000000000000000000000000000ca11e';
const HUGE_GAS = '0xffffffffffff';
const POINT_EVALUATION = '0x000000000000000000000000000000000000000a';
// A point evaluation (versioned hash, z, y, commitment, proof) made for these tests with
// micro-eth-signer's KZG over the mainnet setup: blob element i = i*i + 7, z = 42. What it must
// answer is anvil's answer (asked in the test), not this comment.
const KZG_INPUT =
  '0x012fbcce4b727c5aac28fa0f5223d397bc6050019d43728e2fbdb8c1c3df6598000000000000000000000000000000000000000000000000000000000000002a' +
  '3d6e2a435f40287f23754eb86b9858b3869fcb9850f217f56369967904c175d1' +
  '9557ada58d1ea7f48806d66720bb05d148ce52dfab866d26b638e3c838db4d390a37ff3ea7fedf29e9c9181b3ea9e589' +
  '8a586325f621874c2a57bdb34c0023c904aeda14cc64cac6f63d47dc1964e2bc9cc5e2a7163e37c2f247b84bfb0521d2';

interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

async function rpc(url: string, method: string, params: unknown[]): Promise<RpcReply> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as RpcReply;
}

/** Counts the EVM steps of every run of `client`'s eth_call & co. */
function countSteps(client: LesClient): { readonly n: number } {
  const counter = { n: 0 };
  const evm = client.parts?.evm;
  assert.ok(evm !== undefined, 'the client runs');
  evm.tracer = (e: EVMInterface) => {
    e.events?.on('step', () => {
      counter.n++;
    });
  };
  return counter;
}

/** Resolves once no step has been taken for a while (polls; gives up after `until`'s limit). */
async function stepsStop(steps: { readonly n: number }): Promise<void> {
  await until('the EVM to stop stepping', async () => {
    const before = steps.n;
    await sleep(300);
    return steps.n === before ? true : undefined;
  });
}

/** A promise's state now, without waiting. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([p.then(() => true, () => true), Promise.resolve(marker)])) !== marker;
}

describe('local EVM limits through the proxy (anvil, 2 LES servers, LesClient)', () => {
  let devnet: Devnet;
  let proxy: RunningProxy;
  /** A second client without any limit: only an abort stops its EVM. */
  let unlimited: ClientSurfaces;
  let unlimitedProxy: RunningProxy;

  before(async () => {
    devnet = await startDevnet({ client: { call: { evmTimeoutMs: EVM_TIMEOUT_MS, gasCap: GAS_CAP } } });
    proxy = await startProxy({ backend: lesBackend(devnet.surfaces?.client as LesClient), port: 0 });
    unlimited = await startClient(devnet.anvil, devnet.servers, { call: { evmTimeoutMs: 0, gasCap: 0n } });
    unlimitedProxy = await startProxy({ backend: lesBackend(unlimited.client), port: 0 });
  });

  after(async () => {
    await unlimitedProxy?.close();
    await proxy?.close();
    await unlimited?.stop();
    await devnet?.stop();
  });

  it('an infinite loop with caller-chosen gas fails with -32000 "execution aborted (timeout = 500ms)"; the proxy answers /health and eth_blockNumber meanwhile; no step after', async () => {
    const steps = countSteps(devnet.surfaces?.client as LesClient);
    const loop = rpc(proxy.url, 'eth_call', [{ data: LOOP, gas: HUGE_GAS }, 'latest']);
    await until('the loop to run', () => (steps.n > 0 ? true : undefined));
    const health = await fetch(`${proxy.url}/health`);
    assert.equal(health.status, 200);
    const number = await rpc(proxy.url, 'eth_blockNumber', []);
    assert.equal(typeof number.result, 'string');
    assert.equal(await settled(loop), false, 'both answered while the loop was still running');

    const reply = await loop;
    assert.equal(reply.result, undefined);
    assert.deepEqual(reply.error, { code: -32000, message: 'execution aborted (timeout = 500ms)', data: { code: 'EXECUTION_TIMEOUT', field: 'evmTimeoutMs' } });
    const atError = steps.n;
    await sleep(500);
    assert.equal(steps.n, atError, 'the EVM took no step after the error');
    assert.equal((await rpc(proxy.url, 'eth_blockNumber', [])).result, number.result);
  });

  it("a caller's gas above the gas cap runs with the cap, as anvil answers at the cap", async () => {
    const overrides = { [PROBE]: { code: GAS_LEFT } };
    const ours = await rpc(proxy.url, 'eth_call', [{ to: PROBE, gas: HUGE_GAS }, 'latest', overrides]);
    const theirs = await devnet.anvil.rpc<string>('eth_call', [{ to: PROBE, gas: `0x${GAS_CAP.toString(16)}` }, 'latest', overrides]);
    assert.equal(ours.error, undefined);
    assert.equal(ours.result, theirs);
  });

  it('eth_estimateGas of an infinite loop stops at the same limit (the whole search), and the EVM stops', async () => {
    const steps = countSteps(devnet.surfaces?.client as LesClient);
    const reply = await rpc(proxy.url, 'eth_estimateGas', [{ data: LOOP }]);
    assert.deepEqual(reply.error, { code: -32000, message: 'execution aborted (timeout = 500ms)', data: { code: 'EXECUTION_TIMEOUT', field: 'evmTimeoutMs' } });
    const atError = steps.n;
    await sleep(500);
    assert.equal(steps.n, atError, 'the EVM took no step after the error');
  });

  it('an HTTP client that goes away mid-call stops the EVM (no time limit, no gas cap)', async () => {
    const steps = countSteps(unlimited.client);
    const url = new URL(unlimitedProxy.url);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ data: LOOP, gas: HUGE_GAS }, 'latest'] });
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(body);
    await until('the loop to run', () => (steps.n > 0 ? true : undefined));
    req.destroy();
    await stepsStop(steps);
    const health = await fetch(`${unlimitedProxy.url}/health`);
    assert.equal(health.status, 200);
  });

  it('an AbortSignal given to LesClient.request stops the EVM and rejects with CallAbortedError', async () => {
    const steps = countSteps(unlimited.client);
    const ctl = new AbortController();
    const call = unlimited.client.request('eth_call', [{ data: LOOP, gas: HUGE_GAS }, 'latest'], ctl.signal);
    call.catch(() => undefined);
    await until('the loop to run', () => (steps.n > 0 ? true : undefined));
    ctl.abort();
    await assert.rejects(call, (e: Error & { code?: string }) => e.name === 'CallAbortedError' && e.code === 'ABORTED');
    await stepsStop(steps);
  });

  it('an AbortSignal in the EIP-1193 request stops eth_estimateGas', async () => {
    const steps = countSteps(unlimited.client);
    const eip = createEip1193Provider({ engine: unlimited.client, network: 'devnet' });
    const ctl = new AbortController();
    const call = eip.request({ method: 'eth_estimateGas', params: [{ data: LOOP, gas: HUGE_GAS }], signal: ctl.signal });
    call.catch(() => undefined);
    await until('the loop to run', () => (steps.n > 0 ? true : undefined));
    ctl.abort();
    await assert.rejects(call);
    await stepsStop(steps);
  });

  it('the KZG point-evaluation precompile (0x0a) answers as anvil does; a wrong proof fails as geth words it', async () => {
    const ours = await rpc(proxy.url, 'eth_call', [{ to: POINT_EVALUATION, data: KZG_INPUT }, 'latest']);
    const theirs = await devnet.anvil.rpc<string>('eth_call', [{ to: POINT_EVALUATION, data: KZG_INPUT }, 'latest']);
    assert.equal(ours.error, undefined);
    assert.equal(ours.result, theirs);

    const wrong = `${KZG_INPUT.slice(0, -2)}00`;
    await assert.rejects(devnet.anvil.rpc('eth_call', [{ to: POINT_EVALUATION, data: wrong }, 'latest']), RpcError, 'anvil refuses the wrong proof');
    const refused = await rpc(proxy.url, 'eth_call', [{ to: POINT_EVALUATION, data: wrong }, 'latest']);
    assert.equal(refused.result, undefined);
    assert.equal(refused.error?.code, -32000);
    assert.equal(refused.error?.message, 'error verifying kzg proof');
  });
});
