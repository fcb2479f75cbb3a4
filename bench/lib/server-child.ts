/**
 * One LesServer in its own process (as `lesp serve` runs), for benchmarks whose numbers depend on
 * the server's event loop not being shared: the server charges real cost as serving time, so a
 * server sharing the client's loop would be charged for the client's work too.
 *
 *   node --import tsx bench/lib/server-child.ts '<json LesServerOptions without log>'
 * (nodeKey, if given, as 64 hex digits)
 *
 * Prints `enode://…` once listening. Over the IPC channel: `stats` → LesServerStats, `stop` →
 * stops and exits.
 */
import { LesServer, type LesServerOptions } from '../../src/serve/index.js';

const { nodeKey, ...options } = JSON.parse(process.argv[2] ?? '{}') as Omit<LesServerOptions, 'nodeKey'> & { nodeKey?: string };
if (nodeKey !== undefined) (options as LesServerOptions).nodeKey = Uint8Array.from(Buffer.from(nodeKey, 'hex'));
const server = new LesServer({ host: '127.0.0.1', port: 0, progressStream: null, ...options });
console.log(await server.start());

const stop = async (): Promise<void> => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.on('message', (m: { type: string; id: number }) => {
  if (m.type === 'stats') process.send?.({ id: m.id, stats: server.stats() });
  if (m.type === 'stop') void stop();
});
