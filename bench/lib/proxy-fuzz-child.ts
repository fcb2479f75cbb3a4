/**
 * The proxy over the fuzz backend (test/helpers/proxy-fuzz-backend.ts) in a process of its own, so
 * bench/proxy-fuzz.ts measures the proxy's RSS alone and sees it die if it does.
 *
 *   node --expose-gc --import tsx bench/lib/proxy-fuzz-child.ts
 *
 * Sends {url, wsUrl} over IPC once listening; logs pino JSON (warn and above) on stdout. IPC `gc`
 * runs a full collection and answers `gc` with the heap then in use; `stop` closes and exits.
 */
import { pino } from 'pino';
import { startProxy } from '../../src/proxy/index.js';
import { FuzzBackend } from '../../test/helpers/proxy-fuzz-backend.js';

const backend = new FuzzBackend();
const proxy = await startProxy({ backend, port: 0, headersTimeoutMs: 2000, bodyTimeoutMs: 3000, maxInFlightPerSocket: 1, log: pino({ level: 'warn' }) });
process.send?.({ type: 'listening', url: proxy.url, wsUrl: proxy.wsUrl, methods: backend.list() });

const stop = async (): Promise<void> => {
  await proxy.close();
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('message', (m: { type: string }) => {
  if (m.type === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ type: 'gc', heapUsed: process.memoryUsage().heapUsed });
  }
  if (m.type === 'stop') void stop();
});
