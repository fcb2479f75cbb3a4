/**
 * For the example tests only: runs an example as its own process (as a user would, through tsx)
 * and checks the `label: value` lines the ethers and viem examples print against anvil's own
 * answers. Nothing here is needed to run the examples.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getAddress, id } from 'ethers';

/** What the checks need of the node: its own JSON-RPC answers. */
export interface NodeRpc {
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

const ROOT = new URL('..', import.meta.url).pathname;

export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` in the repository root with `env` added; fails after `timeoutMs`. */
export async function run(command: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<ExampleRun> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** `npx tsx examples/<file> [args]`, without npx's start-up cost; returns its stdout. */
export async function runExample(file: string, env: Record<string, string>, args: string[] = []): Promise<string> {
  const r = await run(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], env);
  assert.equal(r.code, 0, `${file} exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The lines starting with `label: `, without the label. */
export function linesOf(out: string, label: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith(`${label}: `))
    .map((l) => l.slice(label.length + 2));
}

function one(out: string, label: string, pattern: RegExp): RegExpExecArray {
  const lines = linesOf(out, label);
  assert.equal(lines.length, 1, `one "${label}" line in:\n${out}`);
  const m = pattern.exec(lines[0] as string);
  assert.ok(m !== null, `"${label}: ${lines[0]}" does not match ${pattern}`);
  return m;
}

const TRANSFER = id('Transfer(address,address,uint256)');
const hexNum = (n: number | string): string => `0x${BigInt(n).toString(16)}`;
const topicAddress = (t: string): string => getAddress(`0x${t.slice(26)}`);

interface Receipt {
  status: string;
  blockNumber: string;
  blockHash: string;
  contractAddress: string | null;
}

/**
 * Checks the output of the ethers app (ethers-app.ts) or the viem example — the same lines — against
 * anvil: balance at the block named, the deployment and transfer receipts, both token balances by
 * eth_call at the transfer's block, and the Transfer events by eth_getLogs.
 */
export async function checkAppOutput(out: string, anvil: NodeRpc, sender: string): Promise<void> {
  const [, chainId] = one(out, 'chain id', /^(\d+)$/);
  assert.equal(BigInt(chainId as string), BigInt(await anvil.rpc<string>('eth_chainId')));

  const [, who, , wei, at] = one(out, 'balance', /^(0x[0-9a-fA-F]{40}) has ([0-9.]+) ETH \((\d+) wei\) at block (\d+)$/);
  assert.equal(getAddress(who as string), getAddress(sender));
  assert.equal(BigInt(wei as string), BigInt(await anvil.rpc<string>('eth_getBalance', [sender, hexNum(at as string)])));
  assert.ok(BigInt(wei as string) > 0n, 'the dev account is funded');

  const [, token, deployBlock, deployTx] = one(out, 'deployed', /^token (0x[0-9a-fA-F]{40}) in block (\d+) \(tx (0x[0-9a-f]{64})\)$/);
  const deployReceipt = await anvil.rpc<Receipt>('eth_getTransactionReceipt', [deployTx]);
  assert.equal(deployReceipt.status, '0x1');
  assert.equal(getAddress(deployReceipt.contractAddress as string), getAddress(token as string));
  assert.equal(Number(deployReceipt.blockNumber), Number(deployBlock));

  const [, transferTx, transferBlock, status] = one(out, 'transfer', /^tx (0x[0-9a-f]{64}) in block (\d+), status (\d)$/);
  const transferReceipt = await anvil.rpc<Receipt>('eth_getTransactionReceipt', [transferTx]);
  assert.equal(Number(transferReceipt.status), Number(status));
  assert.equal(Number(transferReceipt.status), 1);
  assert.equal(Number(transferReceipt.blockNumber), Number(transferBlock));

  const balances = linesOf(out, 'token balance');
  assert.equal(balances.length, 2, out);
  for (const line of balances) {
    const m = /^(0x[0-9a-fA-F]{40}) has (\d+) at block (\d+)$/.exec(line);
    assert.ok(m !== null, line);
    assert.equal(Number(m[3]), Number(transferBlock));
    const data = `0x70a08231${(m[1] as string).slice(2).toLowerCase().padStart(64, '0')}`;
    assert.equal(BigInt(m[2] as string), BigInt(await anvil.rpc<string>('eth_call', [{ to: token, data }, hexNum(transferBlock as string)])));
  }
  assert.ok(balances.some((l) => l.endsWith(` has 1234 at block ${transferBlock}`)), 'the recipient holds what was sent');

  const events = linesOf(out, 'event').map((line) => {
    const m = /^Transfer (0x[0-9a-fA-F]{40}) -> (0x[0-9a-fA-F]{40}) value (\d+) in block (\d+) \(tx (0x[0-9a-f]{64}), log (\d+)\)$/.exec(line);
    assert.ok(m !== null, line);
    return [getAddress(m[1] as string), getAddress(m[2] as string), BigInt(m[3] as string), Number(m[4]), m[5], Number(m[6])];
  });
  const logs = await anvil.rpc<Array<{ topics: string[]; data: string; blockNumber: string; transactionHash: string; logIndex: string }>>('eth_getLogs', [
    { address: token, topics: [TRANSFER], fromBlock: hexNum(deployBlock as string), toBlock: hexNum(transferBlock as string) },
  ]);
  assert.equal(logs.length, 2, 'the mint and the transfer');
  assert.deepEqual(
    events,
    logs.map((l) => [topicAddress(l.topics[1] as string), topicAddress(l.topics[2] as string), BigInt(l.data), Number(l.blockNumber), l.transactionHash, Number(l.logIndex)]),
  );
}
