/**
 * `eth_subscribe("newHeads")` over a WebSocket (the `ws` package; Node 20 has no global one).
 * Each notification's header JSON goes to `onHead`; the follower only takes it as a wake-up and
 * a hint, and checks it like any other answer. When the socket drops the subscription reconnects
 * with a doubling delay (capped), and reports up/down so the follower can poll meanwhile.
 */
import WebSocket from 'ws';

export interface NewHeadsOptions {
  url: string;
  onHead: (header: unknown) => void;
  /** Called with true once subscribed, false when the socket is lost (with the reason). */
  onState: (up: boolean, reason?: string) => void;
  /** First reconnect delay, doubled per failure up to 30 s. Default 500 ms. */
  reconnectMs?: number;
  /** Largest message accepted. Default 1 MiB (a header is about 1 KiB). */
  maxMessageBytes?: number;
}

const MAX_RECONNECT_MS = 30_000;
const SUBSCRIBE_ID = 1;

export class NewHeadsSubscription {
  /** Per process: connections opened, notifications received, malformed messages ignored. */
  readonly stats = { connects: 0, notifications: 0, ignored: 0 };
  private readonly options: NewHeadsOptions;
  private socket: WebSocket | undefined;
  private subscriptionId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private closed = false;
  private up = false;

  constructor(options: NewHeadsOptions) {
    this.options = options;
    this.delay = options.reconnectMs ?? 500;
  }

  get subscribed(): boolean {
    return this.up;
  }

  get url(): string {
    return this.options.url;
  }

  start(): void {
    if (this.closed || this.socket !== undefined) return;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const ws = this.socket;
    this.socket = undefined;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const done = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close();
    });
  }

  private connect(): void {
    this.stats.connects++;
    const ws = new WebSocket(this.options.url, { maxPayload: this.options.maxMessageBytes ?? 1 << 20, handshakeTimeout: 10_000 });
    this.socket = ws;
    ws.on('open', () => {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: SUBSCRIBE_ID, method: 'eth_subscribe', params: ['newHeads'] }));
    });
    ws.on('message', (data: WebSocket.RawData) => this.onMessage(data));
    ws.on('error', () => {
      // 'close' follows and carries the reconnect; the reason is logged there.
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.socket === ws) this.socket = undefined;
      this.subscriptionId = undefined;
      const wasUp = this.up;
      this.up = false;
      if (this.closed) return;
      if (wasUp) this.delay = this.options.reconnectMs ?? 500;
      this.options.onState(false, `socket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.connect();
      }, this.delay);
      this.delay = Math.min(this.delay * 2, MAX_RECONNECT_MS);
    });
  }

  private onMessage(data: WebSocket.RawData): void {
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      this.stats.ignored++;
      return;
    }
    if (typeof msg !== 'object' || msg === null) {
      this.stats.ignored++;
      return;
    }
    const m = msg as Record<string, unknown>;
    if (m.id === SUBSCRIBE_ID) {
      if (typeof m.result === 'string') {
        this.subscriptionId = m.result;
        this.up = true;
        this.options.onState(true);
      } else {
        // The node refused the subscription: drop the socket, poll, and try again later.
        this.socket?.close(4000, 'subscribe refused');
      }
      return;
    }
    const params = m.params as Record<string, unknown> | undefined;
    if (m.method !== 'eth_subscription' || typeof params !== 'object' || params === null || params.subscription !== this.subscriptionId) {
      this.stats.ignored++;
      return;
    }
    this.stats.notifications++;
    this.options.onHead(params.result);
  }
}
