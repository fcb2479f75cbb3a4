/**
 * Token sessions over the endpoint itself (issue 6 §5): `sessions.add(label, type, expiry,
 * permissions?)` → the new token (shown once) and its session, holding no more than the calling
 * token (permissions and expiry); `sessions.list([filter])` with
 * filter all|created|inuse|revoked|expired; `sessions.revoke(id)`.
 */
import { positional } from '../params.js';
import type { TokenStore } from '../tokens.js';
import type { AdminMethod } from './types.js';

export function tokenMethods(tokens: TokenStore, entities: () => ReadonlySet<string>): Map<string, AdminMethod> {
  return new Map<string, AdminMethod>([
    ['sessions.add', {
      permission: 'tokens:write',
      handler: async (params, ctx) => {
        const [label, type, expiry, permissions] = positional(params, ['label', 'type', 'expiry', 'permissions']);
        const { token, session } = await tokens.add(label, type, expiry, permissions, entities(), ctx.token);
        return { ...session, token };
      },
    }],
    ['sessions.list', {
      permission: 'tokens:read',
      handler: (params) => {
        const [filter] = positional(params, ['filter']);
        return tokens.list(filter ?? 'all');
      },
    }],
    ['sessions.revoke', {
      permission: 'tokens:write',
      handler: async (params) => {
        const [id] = positional(params, ['id']);
        return tokens.revoke(id);
      },
    }],
  ]);
}
