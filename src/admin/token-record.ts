/**
 * The record of one admin token session (tokens.ts keeps them; permissions.ts reads them). Times
 * are Unix seconds.
 */
export const TOKEN_TYPES = ['readonly', 'admin', 'custom'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];
export const TOKEN_STATES = ['created', 'inuse', 'revoked', 'expired'] as const;
export type TokenState = (typeof TOKEN_STATES)[number];
export type TokenFilter = TokenState | 'all';

export interface TokenRecord {
  id: string;
  label: string;
  type: TokenType;
  permissions: string[];
  /** SHA-256 of the token, hex. */
  hash: string;
  created_at: number;
  /** 0: never. */
  expiry: number;
  /** 0: not revoked. */
  revoked_at: number;
  /** 0: never used. */
  last_used: number;
}
