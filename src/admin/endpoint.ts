/**
 * A management endpoint with its token sessions, whatever its method table (the LES server's,
 * the proxy's): the table plus `sessions.*`, on one AdminRpcServer (127.0.0.1 by default).
 *
 * Access: a token given by flag or environment is a full-access token kept in memory (at least
 * 16 characters). Otherwise, on the first start with a datadir a full-access token is created and
 * written to `<datadir>/admin.token` (0600), which `lesp admin --datadir` reads; `created` carries
 * it so the caller can print it once. Without a datadir the token lives as long as the process
 * (and is printed at every start). Token sessions are kept in `<datadir>/admin-sessions.json`
 * (0600, hashed).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tokenMethods } from './methods/tokens.js';
import { type AdminLog, type AdminMethod, entitiesOf, silentAdminLog } from './methods/types.js';
import { AdminRpcServer, DEFAULT_ADMIN_HOST } from './rpc-server.js';
import { TokenStore, writeFileAtomic } from './tokens.js';

export const ADMIN_TOKEN_FILE = 'admin.token';
export const ADMIN_SESSIONS_FILE = 'admin-sessions.json';
const MIN_FLAG_TOKEN = 16;

export interface AdminEndpointOptions {
  /** The endpoint's own methods; the token-session methods are added. */
  methods: ReadonlyMap<string, AdminMethod>;
  host?: string;
  /** 0: any free port. */
  port: number;
  datadir?: string;
  /** A full-access token from a flag or the environment. */
  token?: string;
  log?: AdminLog;
  /** Unix seconds, for token expiry (tests). */
  now?: () => number;
}

export interface AdminEndpoint {
  url: string;
  rpc: AdminRpcServer;
  tokens: TokenStore;
  /** Where the first-start token was written, when there is a datadir. */
  tokenFile: string | undefined;
  /** The full-access token created at this start, to print once. */
  created: string | undefined;
  close(): Promise<void>;
}

/** Refuses a flag/environment token too short to be a secret. */
export function checkFlagToken(token: string | undefined): void {
  if (token !== undefined && token.length < MIN_FLAG_TOKEN) throw new Error(`the admin token must be at least ${MIN_FLAG_TOKEN} characters`);
}

export async function startAdminEndpoint(o: AdminEndpointOptions): Promise<AdminEndpoint> {
  const log = o.log ?? silentAdminLog;
  checkFlagToken(o.token);
  const file = (name: string) => (o.datadir === undefined ? undefined : join(o.datadir, name));
  const tokens = await TokenStore.open({ file: file(ADMIN_SESSIONS_FILE), now: o.now });
  const methods = new Map(o.methods);
  for (const [name, m] of tokenMethods(tokens, () => entitiesOf(methods))) methods.set(name, m);
  const tokenFile = file(ADMIN_TOKEN_FILE);
  let created: string | undefined;
  if (o.token !== undefined) tokens.addStatic(o.token, 'flag');
  else if (tokenFile === undefined || !existsSync(tokenFile)) {
    created = (await tokens.add('first start', 'admin', 0, undefined, entitiesOf(methods))).token;
    if (tokenFile !== undefined) await writeFileAtomic(tokenFile, `${created}\n`);
  }
  const rpc = new AdminRpcServer({ host: o.host ?? DEFAULT_ADMIN_HOST, port: o.port, tokens, methods, log });
  await rpc.listen();
  log.info({ url: rpc.url, tokenFile: created === undefined ? undefined : tokenFile }, 'admin: listening');
  return {
    url: rpc.url,
    rpc,
    tokens,
    tokenFile,
    created,
    close: async () => {
      await rpc.close();
      await tokens.close();
    },
  };
}
