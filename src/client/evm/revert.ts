/**
 * The reason of a revert, for the error message ("execution reverted: <reason>"): Solidity's
 * Error(string) gives its string, Panic(uint256) "panic: <what> (0x..)" (anvil's words); any other
 * data (custom errors) gives no reason — callers decode `data`, which always carries the bytes.
 */
import { ExecutionRevertedError } from '../methods/errors.js';

const ERROR_SELECTOR = '08c379a0';
const PANIC_SELECTOR = '4e487b71';

/** Solidity's panic codes, in the words anvil (alloy) uses. */
const PANICS: Readonly<Record<number, string>> = {
  0x00: 'generic/unspecified error',
  0x01: 'assertion failed',
  0x11: 'arithmetic underflow or overflow',
  0x12: 'division or modulo by zero',
  0x21: 'failed to convert value into enum type',
  0x22: 'storage byte array incorrectly encoded',
  0x31: 'called `.pop()` on an empty array',
  0x32: 'array out-of-bounds access',
  0x41: 'memory allocation error',
  0x51: 'called an invalid function',
};

function word(data: Uint8Array, offset: number): bigint | undefined {
  if (offset + 32 > data.length) return undefined;
  return BigInt(`0x${Buffer.from(data.subarray(offset, offset + 32)).toString('hex')}`);
}

/** The human reason in revert data, if it has one. */
export function revertReason(data: Uint8Array): string | undefined {
  const selector = Buffer.from(data.subarray(0, 4)).toString('hex');
  if (selector === ERROR_SELECTOR) {
    const offset = word(data, 4);
    if (offset === undefined || offset > BigInt(data.length)) return undefined;
    const at = 4 + Number(offset);
    const len = word(data, at);
    if (len === undefined || BigInt(at + 32) + len > BigInt(data.length)) return undefined;
    const bytes = data.subarray(at + 32, at + 32 + Number(len));
    const text = new TextDecoder('utf-8', { fatal: true });
    try {
      return text.decode(bytes);
    } catch {
      return undefined;
    }
  }
  if (selector === PANIC_SELECTOR && data.length === 36) {
    const code = word(data, 4) as bigint;
    const what = code <= 0xffn ? PANICS[Number(code)] : undefined;
    return `panic: ${what ?? 'unknown code'} (0x${code.toString(16)})`;
  }
  return undefined;
}

/** The JSON-RPC error of a reverted call: code 3, data = the revert bytes. */
export function revertError(data: Uint8Array): ExecutionRevertedError {
  return new ExecutionRevertedError(`0x${Buffer.from(data).toString('hex')}`, revertReason(data));
}
