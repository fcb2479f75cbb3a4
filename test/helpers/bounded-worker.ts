/**
 * Runs one named case of a cases module in a fresh worker thread whose V8 heap is capped, so a
 * test can state a memory bound that holds whatever ran before it in the same process: a case that
 * builds a big decoded tree dies with ERR_WORKER_OUT_OF_MEMORY instead of passing on a warm heap.
 *
 * A cases module exports `CASES: Record<string, () => unknown>`; each case returns a plain
 * (structured-cloneable) value, or throws, and the error's class name, code and field come back.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface CaseOutcome {
  /** The case's return value when it did not throw. */
  value?: unknown;
  error?: { name: string; code?: string; field?: string; message: string };
  cpuMs: number;
}

export interface HeapCap {
  /** Old-generation cap, MiB. */
  oldMiB: number;
  /** Young-generation cap, MiB. */
  youngMiB: number;
}

export function runCapped(casesModule: URL, name: string, cap: HeapCap): Promise<CaseOutcome> {
  return new Promise((resolve, reject) => {
    // A worker does not inherit the test's TypeScript loader: register tsx, then load this file.
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, {
      eval: true,
      workerData: { casesModule: casesModule.href, name },
      resourceLimits: { maxOldGenerationSizeMb: cap.oldMiB, maxYoungGenerationSizeMb: cap.youngMiB },
    });
    worker.once('message', (m: CaseOutcome) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) without an answer`)));
  });
}

if (!isMainThread && parentPort !== null && (workerData as { casesModule?: string } | undefined)?.casesModule !== undefined) {
  const { casesModule, name } = workerData as { casesModule: string; name: string };
  const port = parentPort;
  const { CASES } = (await import(casesModule)) as { CASES: Record<string, () => unknown> };
  const run = CASES[name];
  if (run === undefined) throw new Error(`no case ${name}`);
  const cpu0 = process.cpuUsage();
  const done = (o: Omit<CaseOutcome, 'cpuMs'>) => {
    const cpu = process.cpuUsage(cpu0);
    port.postMessage({ ...o, cpuMs: (cpu.user + cpu.system) / 1000 });
  };
  try {
    done({ value: run() });
  } catch (e) {
    const err = e as { name?: string; code?: string; field?: string; message?: string; constructor?: { name: string } };
    done({ error: { name: err.constructor?.name ?? 'Error', code: err.code, field: err.field, message: String(err.message) } });
  }
}
