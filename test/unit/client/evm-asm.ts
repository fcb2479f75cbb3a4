/**
 * A small EVM assembler for test contracts (no compiler on this machine): opcode names, PUSHn
 * with a value or a `@label` (its byte offset), `label:` definitions and `DATA 0x…` raw bytes.
 * And the test contracts themselves, written in it: an ERC-20-like token with reverts of every
 * kind, a forwarder that calls another contract and bubbles its revert, and a reader of msg.* and
 * block.* values.
 */
import { id } from 'ethers';

const OPS: Readonly<Record<string, number>> = {
  STOP: 0x00, ADD: 0x01, MUL: 0x02, SUB: 0x03, DIV: 0x04, LT: 0x10, GT: 0x11, EQ: 0x14, ISZERO: 0x15, AND: 0x16,
  SHL: 0x1b, SHR: 0x1c, SHA3: 0x20, ADDRESS: 0x30, BALANCE: 0x31, ORIGIN: 0x32, CALLER: 0x33, CALLVALUE: 0x34,
  CALLDATALOAD: 0x35, CALLDATASIZE: 0x36, CALLDATACOPY: 0x37, CODESIZE: 0x38, CODECOPY: 0x39, GASPRICE: 0x3a,
  EXTCODESIZE: 0x3b, RETURNDATASIZE: 0x3d, RETURNDATACOPY: 0x3e, EXTCODEHASH: 0x3f, BLOCKHASH: 0x40, COINBASE: 0x41,
  TIMESTAMP: 0x42, NUMBER: 0x43, PREVRANDAO: 0x44, GASLIMIT: 0x45, CHAINID: 0x46, SELFBALANCE: 0x47, BASEFEE: 0x48,
  BLOBBASEFEE: 0x4a, POP: 0x50, MLOAD: 0x51, MSTORE: 0x52, SLOAD: 0x54, SSTORE: 0x55, JUMP: 0x56, JUMPI: 0x57,
  GAS: 0x5a, JUMPDEST: 0x5b, PUSH0: 0x5f, DUP1: 0x80, DUP2: 0x81, DUP3: 0x82, DUP4: 0x83, SWAP1: 0x90, SWAP2: 0x91,
  LOG3: 0xa3, CREATE: 0xf0, CALL: 0xf1, RETURN: 0xf3, STATICCALL: 0xfa, REVERT: 0xfd, INVALID: 0xfe,
};

/** Assembles whitespace-separated tokens (see the file comment). */
export function asm(source: string): Uint8Array {
  const tokens = source.split(/\s+/).filter((t) => t.length > 0 && !t.startsWith(';'));
  const labels = new Map<string, number>();
  const emit = (resolve: boolean): number[] => {
    const out: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as string;
      if (t.endsWith(':')) {
        if (!resolve) labels.set(t.slice(0, -1), out.length);
        continue;
      }
      if (t === 'DATA') {
        out.push(...Buffer.from((tokens[++i] as string).slice(2), 'hex'));
        continue;
      }
      const push = /^PUSH([0-9]+)$/.exec(t);
      if (push !== null) {
        const n = Number(push[1]);
        const arg = tokens[++i] as string;
        const v = arg.startsWith('@') ? BigInt(resolve ? (labels.get(arg.slice(1)) ?? fail(`no label ${arg}`)) : 0) : BigInt(arg);
        const bytes = Buffer.from(v.toString(16).padStart(2 * n, '0'), 'hex');
        if (bytes.length !== n) fail(`${arg} does not fit PUSH${n}`);
        out.push(0x5f + n, ...bytes);
        continue;
      }
      const op = OPS[t];
      if (op === undefined) fail(`unknown opcode ${t}`);
      out.push(op as number);
    }
    return out;
  };
  emit(false);
  return Uint8Array.from(emit(true));
}

function fail(msg: string): never {
  throw new Error(`asm: ${msg}`);
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const sel = (sig: string): string => id(sig).slice(0, 10);

/** Initcode that runs `ctor` and deploys `runtime`. */
export function initcode(runtime: Uint8Array, ctor = ''): string {
  const n = `0x${runtime.length.toString(16)}`;
  return hex(asm(`${ctor} PUSH2 ${n} PUSH2 @runtime PUSH1 0 CODECOPY PUSH2 ${n} PUSH1 0 RETURN runtime: DATA ${hex(runtime)}`));
}

export const TOKEN_SUPPLY = 10n ** 24n;
/** abi.encodeWithSignature("Error(string)", "insufficient balance"). */
export const ERROR_DATA =
  '0x08c379a0' +
  '0000000000000000000000000000000000000000000000000000000000000020' +
  '0000000000000000000000000000000000000000000000000000000000000014' +
  Buffer.from('insufficient balance').toString('hex').padEnd(64, '0');

/**
 * ERC-20-like: balanceOf(address), totalSupply(), transfer(address,uint256) (reverts with
 * Error("insufficient balance")), failCustom(uint256) (reverts InsufficientBalance(available,
 * required)), divide(uint256) (100 / x; Panic(0x12) for 0). Balances at keccak(holder ‖ 0),
 * supply at slot 1; the deployer holds the supply.
 */
export function tokenRuntime(): Uint8Array {
  const errLen = `0x${((ERROR_DATA.length - 2) / 2).toString(16)}`;
  return asm(`
    PUSH1 0 CALLDATALOAD PUSH1 0xe0 SHR
    DUP1 PUSH4 ${sel('balanceOf(address)')} EQ PUSH2 @balanceOf JUMPI
    DUP1 PUSH4 ${sel('transfer(address,uint256)')} EQ PUSH2 @transfer JUMPI
    DUP1 PUSH4 ${sel('totalSupply()')} EQ PUSH2 @totalSupply JUMPI
    DUP1 PUSH4 ${sel('failCustom(uint256)')} EQ PUSH2 @custom JUMPI
    DUP1 PUSH4 ${sel('divide(uint256)')} EQ PUSH2 @divide JUMPI
    PUSH1 0 DUP1 REVERT
    balanceOf: JUMPDEST
      PUSH1 4 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0 PUSH1 0x20 MSTORE
      PUSH1 0x40 PUSH1 0 SHA3 SLOAD PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN
    totalSupply: JUMPDEST PUSH1 1 SLOAD PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN
    transfer: JUMPDEST
      CALLER PUSH1 0 MSTORE PUSH1 0 PUSH1 0x20 MSTORE PUSH1 0x40 PUSH1 0 SHA3
      DUP1 SLOAD PUSH1 0x24 CALLDATALOAD
      DUP1 DUP3 LT PUSH2 @insufficient JUMPI
      DUP1 DUP3 SUB DUP4 SSTORE
      PUSH1 4 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0x40 PUSH1 0 SHA3
      DUP1 SLOAD DUP3 ADD SWAP1 SSTORE
      PUSH1 0 MSTORE
      PUSH1 4 CALLDATALOAD CALLER PUSH32 ${id('Transfer(address,address,uint256)')} PUSH1 0x20 PUSH1 0 LOG3
      PUSH1 1 PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN
    insufficient: JUMPDEST
      PUSH2 ${errLen} PUSH2 @errData PUSH1 0 CODECOPY PUSH2 ${errLen} PUSH1 0 REVERT
    custom: JUMPDEST
      PUSH4 ${sel('InsufficientBalance(uint256,uint256)')} PUSH1 0xe0 SHL PUSH1 0 MSTORE
      CALLER PUSH1 0x40 MSTORE PUSH1 0 PUSH1 0x60 MSTORE PUSH1 0x40 PUSH1 0x40 SHA3 SLOAD PUSH1 4 MSTORE
      PUSH1 4 CALLDATALOAD PUSH1 0x24 MSTORE
      PUSH1 0x44 PUSH1 0 REVERT
    divide: JUMPDEST
      PUSH1 4 CALLDATALOAD DUP1 ISZERO PUSH2 @panic JUMPI
      PUSH1 100 DIV PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN
    panic: JUMPDEST
      PUSH4 0x4e487b71 PUSH1 0xe0 SHL PUSH1 0 MSTORE PUSH1 0x12 PUSH1 4 MSTORE PUSH1 0x24 PUSH1 0 REVERT
    errData: DATA ${ERROR_DATA}
  `);
}

/** The token's constructor: the deployer gets the supply. */
export const TOKEN_CTOR = `
  PUSH32 ${TOKEN_SUPPLY} CALLER PUSH1 0 MSTORE PUSH1 0 PUSH1 0x20 MSTORE PUSH1 0x40 PUSH1 0 SHA3 SSTORE
  PUSH32 ${TOKEN_SUPPLY} PUSH1 1 SSTORE`;

/**
 * Calldata = target (32-byte word) ‖ inner calldata: CALLs the target with the inner calldata and
 * returns what it returned, or reverts with what it reverted with.
 */
export function forwarderRuntime(): Uint8Array {
  return asm(`
    PUSH1 0x20 CALLDATASIZE SUB DUP1 PUSH1 0x20 PUSH1 0 CALLDATACOPY
    PUSH1 0 PUSH1 0 DUP3 PUSH1 0 PUSH1 0 PUSH1 0 CALLDATALOAD GAS CALL
    RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY
    PUSH2 @ok JUMPI
    RETURNDATASIZE PUSH1 0 REVERT
    ok: JUMPDEST RETURNDATASIZE PUSH1 0 RETURN
  `);
}

/** The words ENV_FIELDS names, in that order. */
export const ENV_FIELDS = [
  'caller', 'origin', 'number', 'timestamp', 'coinbase', 'gaslimit', 'basefee', 'prevrandao', 'chainid',
  'blobbasefee', 'blockhash(number-1)', 'selfbalance', 'gasprice', 'callvalue', 'balance(caller)', 'extcodehash(caller)',
] as const;

export function envReaderRuntime(): Uint8Array {
  const values = [
    'CALLER', 'ORIGIN', 'NUMBER', 'TIMESTAMP', 'COINBASE', 'GASLIMIT', 'BASEFEE', 'PREVRANDAO', 'CHAINID',
    'BLOBBASEFEE', 'PUSH1 1 NUMBER SUB BLOCKHASH', 'SELFBALANCE', 'GASPRICE', 'CALLVALUE', 'CALLER BALANCE', 'CALLER EXTCODEHASH',
  ];
  const body = values.map((v, i) => `${v} PUSH2 ${i * 32} MSTORE`).join(' ');
  return asm(`${body} PUSH2 ${values.length * 32} PUSH1 0 RETURN`);
}
