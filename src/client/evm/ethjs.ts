/**
 * The boundary to @ethereumjs/evm 10.x. The rest of the project uses the 6.x line
 * (@ethereumjs/util 9, common 4), whose `prague` is a draft (EIP-3074, no EIP-7702); the EVM
 * brings its own util 10 and common 10 with the final prague rules. This module loads those
 * copies — the very ones the EVM itself resolves, so Account and Address objects are of its kind —
 * and converts our values (Uint8Array, bigint, verify/state Account) into them. No 10.x type
 * leaves src/client/evm.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as EvmModule from '@ethereumjs/evm';
import type { EVMInterface, EVMOpts, EVMRunCallOpts } from '@ethereumjs/evm';
import type { Account } from '../../verify/state.js';
import { EvmError } from './errors.js';

/** util 10's Address, as the EVM takes it. */
export type Address10 = NonNullable<EVMRunCallOpts['to']>;
/** util 10's Account, as the EVM's state manager returns it. */
export type Account10 = NonNullable<Awaited<ReturnType<EVMInterface['stateManager']['getAccount']>>>;
/** common 10's Common. */
export type Common10 = NonNullable<EVMOpts['common']>;

interface Util10 {
  Address: new (bytes: Uint8Array) => Address10;
  Account: new (nonce?: bigint, balance?: bigint, storageRoot?: Uint8Array, codeHash?: Uint8Array) => Account10;
}

interface CommonModule10 {
  Common: new (opts: { chain: Record<string, unknown>; hardfork?: string }) => Common10;
  Mainnet: Record<string, unknown>;
}

export interface EthJs10 {
  util: Util10;
  common: CommonModule10;
  /** @ethereumjs/evm itself: loaded with the rest at the first call (a quarter second and ~40 MiB a client that makes no eth_call never pays). */
  evm: Pick<typeof EvmModule, 'createEVM' | 'getActivePrecompiles'>;
}

/** Imports the ESM build of `pkg` as @ethereumjs/evm resolves it (its nested 10.x copy). */
async function importBesideEvm<T>(pkg: string): Promise<T> {
  const evmRequire = createRequire(createRequire(import.meta.url).resolve('@ethereumjs/evm'));
  let dir = dirname(evmRequire.resolve(pkg));
  for (;;) {
    let manifest: { name?: string; exports?: Record<string, { import?: { default?: string } }>; module?: string } | undefined;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      manifest = undefined;
    }
    if (manifest?.name === pkg) {
      const entry = manifest.exports?.['.']?.import?.default ?? manifest.module;
      if (entry === undefined) throw new EvmError('EVM_UNAVAILABLE', pkg, `${pkg} has no ESM entry`);
      return (await import(pathToFileURL(join(dir, entry)).href)) as T;
    }
    const up = dirname(dir);
    if (up === dir) throw new EvmError('EVM_UNAVAILABLE', pkg, `cannot find the ${pkg} that @ethereumjs/evm uses`);
    dir = up;
  }
}

let loaded: Promise<EthJs10> | undefined;

/** The EVM and its 10.x util and common modules (loaded once). */
export function ethjs(): Promise<EthJs10> {
  loaded ??= (async () => ({
    util: await importBesideEvm<Util10>('@ethereumjs/util'),
    common: await importBesideEvm<CommonModule10>('@ethereumjs/common'),
    evm: await import('@ethereumjs/evm'),
  }))();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

/** A Common for `chainId` with the fork rules of `hardfork` (e.g. 'prague'). */
export function makeCommon(m: EthJs10, chainId: bigint, hardfork: string): Common10 {
  try {
    return new m.common.Common({ chain: { ...m.common.Mainnet, name: `chain-${chainId}`, chainId: Number(chainId) }, hardfork });
  } catch (e) {
    throw new EvmError('BAD_HARDFORK', 'hardfork', `the EVM does not know hardfork "${hardfork}"`, { cause: e });
  }
}

export function toAddress(m: EthJs10, bytes: Uint8Array): Address10 {
  return new m.util.Address(bytes);
}

export function toAccount10(m: EthJs10, a: Account): Account10 {
  return new m.util.Account(a.nonce, a.balance, a.storageRoot, a.codeHash);
}

export function emptyAccount10(m: EthJs10): Account10 {
  return new m.util.Account();
}
