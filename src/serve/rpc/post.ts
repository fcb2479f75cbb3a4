/**
 * How the node client's request goes out: one POST whose answer is read up to a byte bound. The
 * default is node:http(s) with a keep-alive agent — per answered proof it costs a fraction of what
 * `fetch` (undici) does, and the server asks its node once per proof. An injected `fetch` (tests)
 * goes through fetchPost instead.
 */
import http from 'node:http';
import https from 'node:https';

export interface PostAnswer {
  status: number;
  /** undefined: the answer was longer than the bound (and the connection is dropped). */
  text: string | undefined;
}

/** Rejects (with whatever the transport threw) when there is no answer; aborting `signal` aborts the request. */
export type Post = (url: string, headers: Record<string, string>, body: string, signal: AbortSignal, maxBytes: number) => Promise<PostAnswer>;

/** node:http(s) over keep-alive agents of its own (their idle sockets do not hold the process open). */
export function httpPost(): Post {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  return (url, headers, body, signal, maxBytes) =>
    new Promise<PostAnswer>((resolve, reject) => {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      if (!secure && u.protocol !== 'http:') throw new TypeError(`unsupported protocol ${u.protocol}`);
      const options = { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal };
      const req = secure ? https.request(u, { ...options, agent: agents.https }, answer) : http.request(u, { ...options, agent: agents.http }, answer);
      function answer(res: http.IncomingMessage): void {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        let over = false;
        res.on('data', (chunk: Buffer) => {
          if (over) return;
          size += chunk.length;
          if (size <= maxBytes) return void chunks.push(chunk);
          over = true;
          chunks.length = 0;
          req.destroy();
          resolve({ status, text: undefined });
        });
        res.on('end', () => resolve({ status, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      }
      req.on('error', reject);
      req.end(body);
    });
}

/** The same over a fetch function (an injected one: tests stand in a node this way). */
export function fetchPost(fetchFn: typeof fetch): Post {
  return async (url, headers, body, signal, maxBytes) => {
    const res = await fetchFn(url, { method: 'POST', headers, body, signal });
    return { status: res.status, text: await readBounded(res, maxBytes) };
  };
}

/** The body as text; undefined (and the stream cancelled) past `max` bytes. */
async function readBounded(res: Response, max: number): Promise<string | undefined> {
  const body = res.body as ReadableStream<Uint8Array> | null | undefined;
  if (body === null || body === undefined) {
    const text = await res.text();
    return text.length > max ? undefined : text;
  }
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) break;
    text += decoder.decode(chunk, { stream: true });
  }
  return size <= max ? text + decoder.decode() : undefined;
}
