/**
 * The method table: one declarative entry per JSON-RPC method (its positional params, each with a
 * validator, and its handler), and `createMethods`, the dispatcher the LesProvider, the EIP-1193
 * object and the JSON-RPC proxy share. Params are read before any handler runs: a malformed one
 * is -32602 naming it, extra ones are -32602 naming `params`, an unknown method is -32601.
 */
import { type MethodContext, type MethodDeps, createContext } from './context.js';
import { InvalidParamsError, MethodNotFoundError } from './errors.js';
import type { Param } from './params.js';

export interface MethodSpec<A extends unknown[] = unknown[]> {
  readonly name: string;
  readonly params: { readonly [K in keyof A]: Param<A[K]> };
  /** Whether the method exists with these deps (eth_call needs a CallHandler); default yes. */
  available?(ctx: MethodContext): boolean;
  /** `signal`: the caller's, when it has one (the EVM methods stop on it). */
  handler(ctx: MethodContext, args: A, raw: readonly unknown[], signal?: AbortSignal): Promise<unknown> | unknown;
}

/** Declares one method (typed params in, type-erased entry out). */
export function method<A extends unknown[]>(spec: MethodSpec<A>): MethodSpec {
  return spec as unknown as MethodSpec;
}

/** Reads positional params against the spec. */
export function parseParams(spec: MethodSpec, params: unknown): unknown[] {
  let list: readonly unknown[];
  if (params === undefined || params === null) list = [];
  else if (Array.isArray(params)) list = params;
  else throw new InvalidParamsError('params', 'expected an array of positional parameters');
  const want = spec.params as readonly Param<unknown>[];
  if (list.length > want.length) throw new InvalidParamsError('params', `too many arguments, want at most ${want.length}`);
  return want.map((p, i) => {
    const v = list[i];
    if (v === undefined || (v === null && p.optional === true)) {
      if (p.optional === true) return undefined;
      throw new InvalidParamsError(p.name, `missing value for required argument ${i}`);
    }
    return p.parse(v, p.name);
  });
}

export interface Methods {
  request(method: string, params?: unknown, signal?: AbortSignal): Promise<unknown>;
  has(method: string): boolean;
  list(): string[];
  /** The shared state (pending pool, config) — for the surfaces built on top. */
  readonly context: MethodContext;
}

/** Builds the dispatcher over `specs` (see methods/index.ts for the full table). */
export function buildMethods(deps: MethodDeps, specs: readonly MethodSpec[]): Methods {
  const ctx = createContext(deps);
  const table = new Map<string, MethodSpec>();
  for (const s of specs) {
    if (table.has(s.name)) throw new Error(`method ${s.name} declared twice`);
    if (s.available === undefined || s.available(ctx)) table.set(s.name, s);
  }
  return {
    context: ctx,
    has: (name) => table.has(name),
    list: () => [...table.keys()].sort(),
    async request(name: string, params?: unknown, signal?: AbortSignal): Promise<unknown> {
      const spec = typeof name === 'string' ? table.get(name) : undefined;
      if (spec === undefined) throw new MethodNotFoundError(typeof name === 'string' ? name : String(name));
      const args = parseParams(spec, params);
      return spec.handler(ctx, args, Array.isArray(params) ? params : [], signal);
    },
  };
}
