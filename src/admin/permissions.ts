/**
 * What a token session may call: an admin token everything, a readonly token every method whose
 * permission is `entity:read`, a custom token exactly the entity:action pairs it lists.
 */
import type { TokenRecord } from './tokens.js';

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
