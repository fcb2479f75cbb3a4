// RLP bombs in server bytes that `verify` sees before any hash binds them: a typed receipt (an
// opaque byte string on the wire), a CHT auxData header, a proof node. The bombs are the
// 4,000,000-item list found in one receipt (4 MB) and lists nested 5,000 deep.
//
// Memory bound: each refusal runs in a fresh worker whose V8 heap is capped at 64 MiB old + 16 MiB
// young generation; the unbounded decoder needed ~1 GB (and ~6 s of CPU) for the wide bomb, so it
// dies there with ERR_WORKER_OUT_OF_MEMORY. CPU time is printed as a diagnostic only (timing goals
// live in bench/).
import assert from 'node:assert/strict';
import { type TestContext, describe, it } from 'node:test';
import { type HeapCap, runCapped } from '../../helpers/bounded-worker.js';

const CAP: HeapCap = { oldMiB: 64, youngMiB: 16 };
const CASES = new URL('./rlp-bombs.cases.ts', import.meta.url);

async function refused(t: TestContext, name: string, code: string, field: string): Promise<void> {
  const out = await runCapped(CASES, name, CAP);
  t.diagnostic(`${name}: ${out.cpuMs.toFixed(1)} ms CPU`);
  assert.equal(out.error?.name, 'VerificationError', `${name}: ${JSON.stringify(out.error ?? out.value)}`);
  assert.equal(out.error?.code, code, `${name}: ${out.error?.message}`);
  assert.equal(out.error?.field, field, `${name}: ${out.error?.message}`);
}

describe('RLP bombs in receipts, CHT headers and proof nodes are refused within a 64 MiB heap', () => {
  it('a typed receipt of a 4,000,000-item list fails the receipt root before it is decoded (ROOT_MISMATCH)', async (t) => {
    await refused(t, 'receipts, wide', 'ROOT_MISMATCH', 'receipts');
  });

  it('a typed receipt nested 5,000 deep fails the receipt root before it is decoded (ROOT_MISMATCH)', async (t) => {
    await refused(t, 'receipts, deep', 'ROOT_MISMATCH', 'receipts');
  });

  it('either bomb decoded as a receipt directly is refused by the bounded decoder (BAD_ENCODING)', async (t) => {
    await refused(t, 'receipt decoded, wide', 'BAD_ENCODING', 'receipt');
    await refused(t, 'receipt decoded, deep', 'BAD_ENCODING', 'receipt');
    await refused(t, 'legacy receipt decoded, wide', 'BAD_ENCODING', 'receipt');
  });

  it('a CHT auxData header bomb is refused before it is decoded: by its size, else by the CHT-proven hash', async (t) => {
    await refused(t, 'aux header, wide', 'BAD_ENCODING', 'auxData.header');
    await refused(t, 'aux header, deep', 'HASH_MISMATCH', 'auxData.header');
    await refused(t, 'aux header, 60,000 items', 'HASH_MISMATCH', 'auxData.header');
  });

  it('a header bomb decoded directly is refused by the header bounds (BAD_ENCODING)', async (t) => {
    await refused(t, 'header decoded, wide', 'BAD_ENCODING', 'header');
    await refused(t, 'header decoded, deep', 'BAD_ENCODING', 'header');
  });

  it('a proof node that is a bomb (and hashes to the root asked for) is refused as BAD_PROOF', async (t) => {
    await refused(t, 'proof node, wide', 'BAD_PROOF', 'proof[0]');
    await refused(t, 'proof node, deep', 'BAD_PROOF', 'proof[0]');
  });
});
