/**
 * Ports for commands that listen: a free one on request, and a check that a given one is free
 * before minutes of start-up work would end at a port in use.
 */
import { connect, createServer } from 'node:net';
import { CliFailure } from './failure.js';

function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(port, host, () => {
      const addr = srv.address();
      const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
      srv.close(() => resolve(bound));
    });
  });
}

export function freePort(host: string): Promise<number> {
  return listenOnce(host, 0);
}

/** Throws one line naming `flag` when host:port cannot be bound (in use, not an address of this machine). */
export async function checkPortFree(host: string, port: number, flag: string): Promise<void> {
  if (port === 0) return;
  try {
    await listenOnce(host, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CliFailure(code === 'EADDRINUSE' ? `${host}:${port} is in use (${flag})` : `cannot listen on ${host}:${port} (${flag}: ${code})`);
  }
}

/** Whether a TCP connection to host:port opens within `timeoutMs`: undefined if it does, else why not. */
export function tcpProbe(host: string, port: number, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string | undefined): void => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}
