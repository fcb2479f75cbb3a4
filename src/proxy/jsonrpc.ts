/**
 * The JSON-RPC 2.0 envelope: reading a request body (single or batch) into calls and invalid
 * entries, and writing responses. Pure; no I/O.
 *
 * Ids are echoed exactly: a response carries the id's JSON text as the caller wrote it, so a
 * number id that does not survive a round trip through a double (12345678901234567890, 1.10, -0)
 * comes back as sent (see raw-ids.ts). A body that is not valid UTF-8 is a parse error, so an id
 * is never echoed with bytes other than the caller's; nesting is bounded (json-limits.ts).
 */
import { InvalidParamsError } from '../client/methods/errors.js';
import { ProxyError, type RpcErrorObject, rpcErrorOf } from './errors.js';
import { MAX_JSON_DEPTH, MAX_PARAMS_DEPTH, decodeUtf8, textNestsDeeperThan, valueNestsDeeperThan } from './json-limits.js';
import { rawIdTexts } from './raw-ids.js';

export type JsonRpcId = string | number | null;

/** One well-formed request. `idText` is undefined for a notification (no response). */
export interface Call {
  method: string;
  params: unknown;
  idText: string | undefined;
}

/** One element of the body: a call, or a malformed request answered with an error. */
export type Entry = { kind: 'call'; call: Call } | { kind: 'invalid'; idText: string; error: RpcErrorObject };

export type Payload =
  | { kind: 'single'; entry: Entry }
  | { kind: 'batch'; entries: Entry[] }
  /** Nothing to call: answer with this one error (parse error, empty or oversize batch). */
  | { kind: 'error'; error: ProxyError };

const NULL_ID = 'null';

function isValidId(v: unknown): v is JsonRpcId {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Whether JSON.stringify(v) may differ from the text the caller wrote. */
function needsRawText(v: unknown): boolean {
  return typeof v === 'number' && (!Number.isSafeInteger(v) || Object.is(v, -0));
}

function invalid(idText: string, message: string): Entry {
  return { kind: 'invalid', idText, error: { code: -32600, message } };
}

function readEntry(v: unknown, rawId: string | undefined): Entry {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return invalid(NULL_ID, 'invalid request: expected a JSON-RPC request object');
  const o = v as Record<string, unknown>;
  const hasId = Object.hasOwn(o, 'id');
  let idText: string | undefined;
  if (hasId) {
    if (!isValidId(o.id)) return invalid(NULL_ID, 'invalid request: id must be a string, a number or null');
    idText = rawId ?? JSON.stringify(o.id);
  }
  const errId = idText ?? NULL_ID;
  if (o.jsonrpc !== '2.0') return invalid(errId, 'invalid request: jsonrpc must be "2.0"');
  if (typeof o.method !== 'string' || o.method.length === 0) return invalid(errId, 'invalid request: method must be a non-empty string');
  if (o.params !== undefined && (typeof o.params !== 'object' || o.params === null)) {
    return invalid(errId, 'invalid request: params must be an array or an object');
  }
  if (valueNestsDeeperThan(o.params, MAX_PARAMS_DEPTH)) {
    return { kind: 'invalid', idText: errId, error: rpcErrorOf(new InvalidParamsError('params', `nested deeper than ${MAX_PARAMS_DEPTH} levels`)) };
  }
  return { kind: 'call', call: { method: o.method, params: o.params, idText } };
}

function idOf(v: unknown): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>).id : undefined;
}

/** Reads a request body (bytes: UTF-8, checked). Never throws. */
export function parsePayload(body: string | Uint8Array, maxBatch: number): Payload {
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  if (text === undefined) return { kind: 'error', error: new ProxyError('PARSE_ERROR', 'parse error: the body is not valid UTF-8') };
  if (textNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return { kind: 'error', error: new ProxyError('PARSE_ERROR', `parse error: JSON nested deeper than ${MAX_JSON_DEPTH} levels`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'error', error: new ProxyError('PARSE_ERROR', 'parse error: the body is not valid JSON') };
  }
  if (!Array.isArray(value)) {
    const raw = needsRawText(idOf(value)) ? rawIdTexts(text).get(0) : undefined;
    return { kind: 'single', entry: readEntry(value, raw) };
  }
  if (value.length === 0) return { kind: 'error', error: new ProxyError('INVALID_REQUEST', 'invalid request: empty batch') };
  if (value.length > maxBatch) {
    return { kind: 'error', error: new ProxyError('BATCH_TOO_LARGE', `invalid request: batch of ${value.length} requests exceeds the limit of ${maxBatch}`) };
  }
  const raws = value.some((v) => needsRawText(idOf(v))) ? rawIdTexts(text) : undefined;
  return { kind: 'batch', entries: value.map((v, i) => readEntry(v, raws?.get(i))) };
}

/** A success response. Throws if `result` cannot be written as JSON (e.g. a bigint). */
export function resultText(idText: string, result: unknown): string {
  const json = JSON.stringify(result);
  return `{"jsonrpc":"2.0","id":${idText},"result":${json === undefined ? 'null' : json}}`;
}

export function errorText(idText: string, error: RpcErrorObject): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(error);
  } catch {
    json = undefined;
  }
  // Unserialisable `data` is left out rather than losing the whole answer.
  if (json === undefined) json = JSON.stringify({ code: error.code, message: error.message });
  return `{"jsonrpc":"2.0","id":${idText},"error":${json}}`;
}

export function batchText(parts: readonly string[]): string {
  return `[${parts.join(',')}]`;
}

export { NULL_ID };
