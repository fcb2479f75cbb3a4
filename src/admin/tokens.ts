/**
 * Admin tokens, managed as sessions (issue 6 §5, after the session listing of seed 002): each
 * has an id, a label, a type — readonly (every read, no change), admin (everything), custom (a
 * list of entity:action permissions such as `balance:write`, `peers:read`) — a creation time, an
 * optional expiry, and once revoked a revocation time. Its state is created (never used), inuse,
 * revoked or expired; revoked and expired tokens are refused at once.
 *
 * Only the SHA-256 of a token's secret is kept. With a file the records are written atomically
 * (temporary file, fsync, rename) with 0600 permissions before `add`/`revoke` return; without one
 * they live in memory. A token given by flag or environment is an admin token kept in memory only.
 * Times are Unix seconds.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AdminRpcError, RpcCode, invalidParams } from './errors.js';
import { checkGrant } from './permissions.js';
import { TOKEN_STATES, TOKEN_TYPES, type TokenRecord, type TokenState, type TokenType } from './token-record.js';

export { TOKEN_STATES, TOKEN_TYPES, type TokenFilter, type TokenRecord, type TokenState, type TokenType } from './token-record.js';

/** What `sessions.list` shows: everything but the hash, with the state. */
export type TokenView = Omit<TokenRecord, 'hash'> & { state: TokenState };

export interface TokenStoreOptions {
  /** JSON file of the records; absent: memory only. */
  file?: string;
  /** Unix seconds. */
  now?: () => number;
}

const PERMISSION = /^([a-z][a-z_]*):(read|write)$/;
const MAX_LABEL = 128;
const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A new secret token: `lesp_` and 32 random bytes, base64url. */
export function newToken(): string {
  return `lesp_${randomBytes(32).toString('base64url')}`;
}

export class TokenStore {
  readonly #file: string | undefined;
  readonly #now: () => number;
  readonly #records = new Map<string, TokenRecord>();
  /** Flag/environment tokens: in memory, never listed as revocable records on disk. */
  readonly #static = new Set<string>();
  #writing: Promise<void> = Promise.resolve();

  private constructor(options: TokenStoreOptions) {
    this.#file = options.file;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Opens the records in `file` (created on first write). */
  static async open(options: TokenStoreOptions = {}): Promise<TokenStore> {
    const store = new TokenStore(options);
    if (options.file !== undefined) {
      let text: string | undefined;
      try {
        text = await readFile(options.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (text !== undefined) {
        const list = JSON.parse(text) as TokenRecord[];
        for (const r of list) store.#records.set(r.id, r);
      }
    }
    return store;
  }

  get size(): number {
    return this.#records.size;
  }

  now(): number {
    return this.#now();
  }

  /** An admin token from a flag or the environment: accepted, kept in memory only. */
  addStatic(token: string, label = 'flag'): void {
    const id = `static-${this.#static.size + 1}`;
    this.#static.add(id);
    this.#records.set(id, { id, label, type: 'admin', permissions: [], hash: hashOf(token), created_at: this.#now(), expiry: 0, revoked_at: 0, last_used: 0 });
  }

  /**
   * A new token. `expiry`: Unix seconds, 0 for none. `permissions` only for custom tokens, each
   * entity:action with an entity of `entities`. `grantor`: the session asking, when it is one; the
   * new token may hold no more than it does. Resolves once it is written; the secret is returned
   * here and never again.
   */
  async add(
    label: unknown,
    type: unknown,
    expiry: unknown,
    permissions: unknown,
    entities: ReadonlySet<string>,
    grantor?: TokenRecord,
  ): Promise<{ token: string; session: TokenView }> {
    if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL) throw invalidParams('label', `expected a string of 1..${MAX_LABEL} characters`);
    if (typeof type !== 'string' || !(TOKEN_TYPES as readonly string[]).includes(type)) throw invalidParams('type', `expected one of ${TOKEN_TYPES.join(', ')}`);
    const exp = expiry ?? 0;
    if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp < 0) throw invalidParams('expiry', 'expected Unix seconds (an integer ≥ 0; 0 = never)');
    if (exp !== 0 && exp <= this.#now()) throw invalidParams('expiry', 'is not in the future');
    let perms: string[] = [];
    if (type === 'custom') {
      if (!Array.isArray(permissions) || permissions.length === 0) throw invalidParams('permissions', 'a custom token needs a list of entity:action permissions');
      perms = permissions.map((p, i) => {
        const m = typeof p === 'string' ? PERMISSION.exec(p) : null;
        if (m === null || !entities.has(m[1] as string)) {
          throw invalidParams(`permissions[${i}]`, `expected entity:read or entity:write with an entity of ${[...entities].sort().join(', ')}`);
        }
        return p as string;
      });
    } else if (permissions !== undefined && permissions !== null && !(Array.isArray(permissions) && permissions.length === 0)) {
      throw invalidParams('permissions', `only custom tokens take permissions (a ${type} token has its own)`);
    }
    if (grantor !== undefined) checkGrant(grantor, type as TokenType, perms, exp, entities);
    const token = newToken();
    let id: string;
    do id = randomBytes(8).toString('hex');
    while (this.#records.has(id));
    const record: TokenRecord = { id, label, type: type as TokenType, permissions: perms, hash: hashOf(token), created_at: this.#now(), expiry: exp, revoked_at: 0, last_used: 0 };
    this.#records.set(id, record);
    await this.#persist();
    return { token, session: this.view(record) };
  }

  async revoke(id: unknown): Promise<TokenView> {
    const record = typeof id === 'string' ? this.#records.get(id) : undefined;
    if (record === undefined || this.#static.has(record.id)) throw invalidParams('id', 'no such token session');
    if (record.revoked_at === 0) {
      record.revoked_at = this.#now();
      await this.#persist();
    }
    return this.view(record);
  }

  list(filter: unknown = 'all'): TokenView[] {
    if (filter !== 'all' && !(TOKEN_STATES as readonly unknown[]).includes(filter)) {
      throw invalidParams('filter', `expected one of all, ${TOKEN_STATES.join(', ')}`);
    }
    return [...this.#records.values()]
      .filter((r) => !this.#static.has(r.id))
      .map((r) => this.view(r))
      .filter((v) => filter === 'all' || v.state === filter)
      .sort((a, b) => a.created_at - b.created_at);
  }

  state(r: TokenRecord): TokenState {
    if (r.revoked_at !== 0) return 'revoked';
    if (r.expiry !== 0 && this.#now() >= r.expiry) return 'expired';
    return r.last_used === 0 ? 'created' : 'inuse';
  }

  view(r: TokenRecord): TokenView {
    const { hash: _hash, ...rest } = r;
    return { ...rest, permissions: [...r.permissions], state: this.state(r) };
  }

  /**
   * The usable record a bearer token belongs to (not revoked, not expired), marked used; undefined
   * otherwise. The digest is compared in constant time.
   */
  authenticate(token: string): TokenRecord | undefined {
    const digest = Buffer.from(hashOf(token), 'hex');
    let found: TokenRecord | undefined;
    for (const r of this.#records.values()) {
      if (timingSafeEqual(Buffer.from(r.hash, 'hex'), digest)) found = r;
    }
    if (found === undefined) return undefined;
    const state = this.state(found);
    if (state === 'revoked' || state === 'expired') return undefined;
    const first = found.last_used === 0;
    found.last_used = this.#now();
    if (first && !this.#static.has(found.id)) this.#persist().catch(() => undefined);
    return found;
  }

  /** Writes the records once more (last use times). */
  async close(): Promise<void> {
    await this.#persist();
  }

  /** Writes every record (not the static ones) to the file, atomically, 0600. */
  #persist(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    const run = this.#writing.catch(() => undefined).then(async () => {
      const records = [...this.#records.values()].filter((r) => !this.#static.has(r.id));
      await writeFileAtomic(file, `${JSON.stringify(records, null, 2)}\n`);
    });
    this.#writing = run;
    return run.catch((err: unknown) => {
      throw new AdminRpcError(RpcCode.Internal, `token sessions could not be written: ${(err as Error).message}`);
    });
  }
}

/** Writes `text` to `file` with mode 0600: a temporary file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await dir.close();
  }
}
