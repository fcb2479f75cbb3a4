/**
 * The address to dial for an enode's host: an IP literal as it is, a host name through the
 * system resolver (node:dns lookup, as the OS resolves `localhost`), bounded in time because the
 * resolver itself has no timeout. The first IPv4 address is taken, else the first IPv6 one, as
 * go-ethereum picks among a name's addresses (servers commonly listen on 127.0.0.1 while
 * `localhost` may resolve to ::1 first).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DialError } from './errors.js';

export const RESOLVE_TIMEOUT_MS = 5_000;

export async function resolveHost(host: string, timeoutMs = RESOLVE_TIMEOUT_MS): Promise<string> {
  if (isIP(host) !== 0) return host;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DialError('RESOLVE_FAILED', `cannot resolve ${host}: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const found = await Promise.race([
      lookup(host, { all: true }).catch((cause: NodeJS.ErrnoException) => {
        throw new DialError('RESOLVE_FAILED', `cannot resolve ${host}: ${cause.code ?? cause.message}`, { cause });
      }),
      late,
    ]);
    const pick = found.find((a) => a.family === 4) ?? found[0];
    if (pick === undefined) throw new DialError('RESOLVE_FAILED', `cannot resolve ${host}: no address`);
    return pick.address;
  } finally {
    clearTimeout(timer);
  }
}
