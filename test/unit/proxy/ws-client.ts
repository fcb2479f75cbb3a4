/** A raw WebSocket JSON-RPC client for tests: every message received is queued; `next()` takes one. */
import { WebSocket } from 'ws';

export type Message = {
  jsonrpc: string;
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  method?: string;
  params?: { subscription: string; result: Record<string, unknown> };
};

export class WsClient {
  readonly #queue: Message[] = [];
  readonly #waiters: Array<(m: Message) => void> = [];
  readonly closed: Promise<number>;
  #id = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Message;
      const w = this.#waiters.shift();
      if (w !== undefined) w(m);
      else this.#queue.push(m);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  static async open(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<WsClient> {
    const ws = new WebSocket(url, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsClient(ws);
  }

  send(body: unknown): void {
    this.ws.send(typeof body === 'string' ? body : JSON.stringify(body));
  }

  next(): Promise<Message> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Sends one call and returns the next message (the caller knows nothing else is due). */
  async call(method: string, params: unknown[] = []): Promise<Message> {
    this.send({ jsonrpc: '2.0', id: ++this.#id, method, params });
    return this.next();
  }

  pending(): number {
    return this.#queue.length;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === this.ws.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }
}
