/**
 * The header fill's progress: a bar with the measured rate and time left on a terminal, periodic
 * log lines otherwise, nothing for a short fill, and the final rate logged and returned.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FillProgress, duration } from '../../../src/serve/chain/fill-progress.js';

function memoryLog() {
  const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const push = (obj: object, msg: string) => void lines.push({ obj: obj as Record<string, unknown>, msg });
  return { lines, info: push, warn: push, error: push };
}

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

describe('FillProgress', () => {
  it('on a terminal: a bar with headers/s and the time left at that rate; the rate logged at the end', () => {
    const chunks: string[] = [];
    const log = memoryLog();
    const c = clock();
    const p = new FillProgress(0, 99_999, log, { isTTY: true, columns: 100, write: (s) => chunks.push(s) > 0 }, 10_000, c.now);
    c.t += 2000;
    p.add(10_000);
    assert.match(chunks[0]!, /^\r\x1b\[K\[#+\.+\] headers 10000\/100000 5000\/s ETA 18s$/);
    c.t += 2000;
    p.extend(119_999);
    p.add(10_000);
    assert.match(chunks[1]!, /headers 20000\/120000 5000\/s ETA 20s$/);
    const r = p.finish();
    assert.deepEqual(r, { headers: 20_000, ms: 4000, perSecond: 5000 });
    assert.equal(chunks[chunks.length - 1], '\n');
    assert.equal(log.lines[log.lines.length - 1]!.msg, 'chain: 20000 headers filled at 5000 headers/s');
  });

  it('without a terminal: a log line every logEveryMs with the rate; a short fill logs only its rate', () => {
    const log = memoryLog();
    const c = clock();
    const p = new FillProgress(1000, 50_999, log, { isTTY: false, write: () => true }, 10_000, c.now);
    for (let i = 0; i < 10; i++) {
      c.t += 2500;
      p.add(2000);
    }
    const periodic = log.lines.filter((l) => l.msg === 'chain: filling headers');
    assert.equal(periodic.length, 2, 'one line per 10 s of 25 s');
    assert.deepEqual(periodic[0]!.obj, { at: 8999, to: 50_999, headersPerSecond: 800, left: '53s' });
    const short = memoryLog();
    const q = new FillProgress(0, 499, short, { isTTY: true, write: () => assert.fail('no bar for a short fill') }, 10_000, c.now);
    c.t += 100;
    q.add(500);
    q.finish();
    assert.deepEqual(short.lines.map((l) => l.msg), ['chain: 500 headers filled at 5000 headers/s']);
  });

  it('durations read as the operator wants them', () => {
    assert.deepEqual([duration(5_000), duration(125_000), duration(3 * 3600_000 + 60_000), duration(50 * 3600_000)], ['5s', '2m05s', '3h01m', '2d02h']);
  });
});
