/**
 * What a token session may call: an admin token everything, a readonly token every method whose
 * permission is `entity:read`, a custom token exactly the entity:action pairs it lists. And what a
 * session may grant: never more than it holds, or a `tokens:write` permission would be a way to
 * become admin.
 */
import { invalidParams } from './errors.js';
import type { TokenRecord, TokenType } from './token-record.js';

export function allows(token: TokenRecord, permission: string): boolean {
  switch (token.type) {
    case 'admin':
      return true;
    case 'readonly':
      return permission.endsWith(':read');
    case 'custom':
      return token.permissions.includes(permission);
    default:
      return false;
  }
}

/**
 * Throws -32602 naming the field when a token of `type` with `permissions` and `expiry` (Unix
 * seconds, 0 = never) would hold more than `grantor`: a permission it lacks, or a longer life.
 * `entities` are the endpoint's, whose `:read` permissions a readonly token holds.
 */
export function checkGrant(grantor: TokenRecord, type: TokenType, permissions: readonly string[], expiry: number, entities: ReadonlySet<string>): void {
  if (grantor.type !== 'admin') {
    if (type === 'admin') throw invalidParams('type', `a ${grantor.type} token cannot create an admin token`);
    if (type === 'readonly') {
      const missing = [...entities].sort().map((e) => `${e}:read`).find((p) => !allows(grantor, p));
      if (missing !== undefined) throw invalidParams('type', `a readonly token holds ${missing}, which the calling token does not`);
    }
    permissions.forEach((p, i) => {
      if (!allows(grantor, p)) throw invalidParams(`permissions[${i}]`, `${p} is not held by the calling token`);
    });
  }
  if (grantor.expiry !== 0 && (expiry === 0 || expiry > grantor.expiry)) {
    throw invalidParams('expiry', `must be at most the calling token's expiry (${grantor.expiry})`);
  }
}
