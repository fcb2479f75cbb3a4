/** Checks of positional parameters; each failure is -32602 naming the parameter. */
import { invalidParams } from './errors.js';

/** Refuses more than `names.length` parameters; returns them by name (missing ones undefined). */
export function positional(params: unknown[], names: readonly string[]): unknown[] {
  if (params.length > names.length) {
    throw invalidParams('params', names.length === 0 ? 'this method takes no parameters' : `expected at most ${names.length} (${names.join(', ')}), got ${params.length}`);
  }
  return names.map((_, i) => params[i]);
}

export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined || value === null) throw invalidParams(field, 'is required');
  return value;
}

export function stringParam(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalidParams(field, 'expected a string');
  return value;
}

/** An integer given as a JSON number, a bigint (large JSON integers), a decimal string or a 0x hex string. */
export function integerParam(value: unknown, field: string, min: bigint, max: bigint): bigint {
  let n: bigint | undefined;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?(?:\d+|0x[0-9a-fA-F]+)$/.test(value)) {
    n = value.startsWith('-') ? -BigInt(value.slice(1)) : BigInt(value);
  }
  if (n === undefined) throw invalidParams(field, `expected an integer${typeof value === 'number' ? ' (a number beyond 2^53 must be exact: send it as a JSON integer or a string)' : ''}`);
  if (n < min || n > max) throw invalidParams(field, `expected an integer in [${min}, ${max}], got ${n}`);
  return n;
}

export function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalidParams(field, 'expected a list of strings');
  return value.map((v, i) => stringParam(v, `${field}[${i}]`));
}
