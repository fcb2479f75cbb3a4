/**
 * Admin token sessions (issue 6 §5, states and types after seed 002's session listing): created →
 * inuse on first use, revoked and expired refused at once, readonly / admin / custom permissions,
 * secrets stored only as their SHA-256 in a 0600 file written before add/revoke return.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AdminRpcError, TokenStore, allows } from '../../../src/admin/index.js';

const ENTITIES = new Set(['balance', 'peers', 'info']);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function clock(start = 1_700_000_000) {
  let t = start;
  return { now: () => t, advance: (s: number) => (t += s) };
}

function refusedField(field: string) {
  return (e: unknown) => {
    assert.ok(e instanceof AdminRpcError, String(e));
    assert.equal(e.rpcCode, -32602);
    assert.equal(e.field, field);
    return true;
  };
}

describe('TokenStore', () => {
  it('walks created → inuse → revoked, and expires at its expiry', async () => {
    const c = clock();
    const store = await TokenStore.open({ now: c.now });
    const a = await store.add('ops', 'admin', 0, undefined, ENTITIES);
    const b = await store.add('soon', 'readonly', c.now() + 60, undefined, ENTITIES);
    assert.match(a.token, /^lesp_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(store.list().map((v) => [v.label, v.state]), [['ops', 'created'], ['soon', 'created']]);
    assert.equal(store.authenticate(a.token)?.id, a.session.id);
    assert.equal(store.list('inuse').length, 1);
    assert.equal(store.list('inuse')[0]?.last_used, c.now());
    c.advance(60);
    assert.equal(store.authenticate(b.token), undefined, 'expired at its expiry second');
    assert.deepEqual(store.list('expired').map((v) => v.label), ['soon']);
    const revoked = await store.revoke(a.session.id);
    assert.equal(revoked.state, 'revoked');
    assert.equal(revoked.revoked_at, c.now());
    assert.equal(store.authenticate(a.token), undefined, 'refused at once');
    assert.equal(store.authenticate('lesp_not-a-token'), undefined);
    assert.deepEqual(store.list('created'), []);
  });

  it('checks what add is given', async () => {
    const c = clock();
    const store = await TokenStore.open({ now: c.now });
    await assert.rejects(store.add('', 'admin', 0, undefined, ENTITIES), refusedField('label'));
    await assert.rejects(store.add('x', 'root', 0, undefined, ENTITIES), refusedField('type'));
    await assert.rejects(store.add('x', 'admin', -5, undefined, ENTITIES), refusedField('expiry'));
    await assert.rejects(store.add('x', 'admin', c.now(), undefined, ENTITIES), refusedField('expiry'));
    await assert.rejects(store.add('x', 'custom', 0, [], ENTITIES), refusedField('permissions'));
    await assert.rejects(store.add('x', 'custom', 0, ['balance:write', 'balanse:read'], ENTITIES), refusedField('permissions[1]'));
    await assert.rejects(store.add('x', 'custom', 0, ['balance:delete'], ENTITIES), refusedField('permissions[0]'));
    await assert.rejects(store.add('x', 'readonly', 0, ['balance:write'], ENTITIES), refusedField('permissions'));
    await assert.rejects(store.revoke('nope'), refusedField('id'));
    assert.throws(() => store.list('weird'), refusedField('filter'));
    assert.equal(store.size, 0, 'nothing was added');
  });

  it('readonly reads everything and changes nothing; custom has exactly its permissions; admin everything', async () => {
    const store = await TokenStore.open();
    const ro = store.authenticate((await store.add('r', 'readonly', 0, undefined, ENTITIES)).token)!;
    const custom = store.authenticate((await store.add('c', 'custom', 0, ['balance:write', 'peers:read'], ENTITIES)).token)!;
    const admin = store.authenticate((await store.add('a', 'admin', 0, undefined, ENTITIES)).token)!;
    assert.deepEqual(['balance:read', 'balance:write', 'tokens:write', 'node:write'].map((p) => allows(ro, p)), [true, false, false, false]);
    assert.deepEqual(['balance:write', 'balance:read', 'peers:read', 'peers:write'].map((p) => allows(custom, p)), [true, false, true, false]);
    assert.deepEqual(['balance:write', 'tokens:write', 'node:write'].map((p) => allows(admin, p)), [true, true, true]);
  });

  it('keeps only hashes, in a 0600 file, written before add and revoke return; a flag token is never written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lesp-tokens-'));
    dirs.push(dir);
    const file = join(dir, 'admin-sessions.json');
    const store = await TokenStore.open({ file });
    store.addStatic('a-static-token-of-some-length', 'flag');
    const { token, session } = await store.add('kept', 'custom', 0, ['info:read'], ENTITIES);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(token.slice(5)), 'no secret on disk');
    assert.ok(text.includes(createHash('sha256').update(token).digest('hex')), 'its SHA-256 is');
    assert.ok(!text.includes(createHash('sha256').update('a-static-token-of-some-length').digest('hex')));
    await store.revoke(session.id);
    const again = await TokenStore.open({ file });
    assert.equal(again.list()[0]?.state, 'revoked');
    assert.equal(again.authenticate(token), undefined);
    assert.equal(store.authenticate('a-static-token-of-some-length')?.type, 'admin');
    assert.equal(store.list().length, 1, 'the flag token is not listed');
  });
});
