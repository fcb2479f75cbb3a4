/**
 * Which browser origins may read from and drive the proxy. A browser lets any page it shows send
 * requests to 127.0.0.1; CORS (and, for WebSockets, which browsers do not subject to CORS, the
 * Origin check of the upgrade) is what keeps a page from reading the answers or calling
 * eth_sendRawTransaction with the user's proxy. So the default allows only pages served from this
 * machine (http(s)://localhost, 127.0.0.1, [::1], any port); anything else must be listed, and
 * `*` (any origin) only when given explicitly.
 *
 * List entries: an origin (`https://app.example`, `http://localhost:3000`), `loopback` (the
 * default set), `*`, or `none` (no browser origin at all). Calls without an Origin header (curl,
 * scripts, wallets outside a browser) are not affected.
 */
import { ProxyError } from './errors.js';

export const LOOPBACK = 'loopback';
export const ANY_ORIGIN = '*';
export const NO_ORIGIN = 'none';
export const DEFAULT_CORS_ORIGINS: readonly string[] = [LOOPBACK];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface CorsPolicy {
  any: boolean;
  loopback: boolean;
  origins: ReadonlySet<string>;
}

/** One list entry, normalised (`https://App.example/` → `https://app.example`); throws ProxyError BAD_OPTIONS. */
export function parseCorsOrigin(entry: string): string {
  const v = entry.trim();
  if (v === ANY_ORIGIN || v === LOOPBACK || v === NO_ORIGIN) return v;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ProxyError('BAD_OPTIONS', `cors origin "${v}" is not an origin (scheme://host[:port]), "${LOOPBACK}", "${NO_ORIGIN}" or "*"`, { field: 'corsOrigins' });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ProxyError('BAD_OPTIONS', `cors origin "${v}" is not an http(s) origin (scheme://host[:port], no path)`, { field: 'corsOrigins' });
  }
  return url.origin;
}

export function corsPolicy(entries: readonly string[] = DEFAULT_CORS_ORIGINS): CorsPolicy {
  const parsed = entries.map(parseCorsOrigin);
  if (parsed.includes(NO_ORIGIN) && parsed.length > 1) {
    throw new ProxyError('BAD_OPTIONS', `cors origin "${NO_ORIGIN}" cannot be combined with other origins`, { field: 'corsOrigins' });
  }
  return {
    any: parsed.includes(ANY_ORIGIN),
    loopback: parsed.includes(LOOPBACK),
    origins: new Set(parsed.filter((p) => p !== ANY_ORIGIN && p !== LOOPBACK && p !== NO_ORIGIN)),
  };
}

function isLoopback(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname) && url.origin === origin;
  } catch {
    return false;
  }
}

/** The Access-Control-Allow-Origin value for a request with this Origin header, or undefined when refused. */
export function allowedOrigin(policy: CorsPolicy, origin: string | undefined): string | undefined {
  if (policy.any) return ANY_ORIGIN;
  if (origin === undefined) return undefined;
  if (policy.origins.has(origin) || (policy.loopback && isLoopback(origin))) return origin;
  return undefined;
}
