/**
 * RLPx from below, for tests that send what no LesPeer would: an EIP-8 auth message (devp2p's
 * ECIES; only the server's public key is needed), the recorded bytes that once froze `lesp serve`,
 * a bare devp2p peer through its Hello and Status whose socket the test holds (to write partial
 * frames, or stop reading), and a TCP relay that can go silent — neither reading nor closing.
 */
import { once } from 'node:events';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { ECIES, type Peer as Devp2pPeer } from '@ethereumjs/devp2p';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { nodeIdFromPrivateKey, parseEnode } from '../../src/net/index.js';
import { LES_CAPABILITIES, LesProtocol } from '../../src/net/les-protocol.js';
import { LesRlpx } from '../../src/net/rlpx.js';
import { encodeStatus, type Status } from '../../src/wire/status.js';

const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/**
 * One TCP write of 534 bytes: a valid 502-byte EIP-8 auth message to the node key below, then 32
 * bytes (0x00..0x1f). devp2p 6.1.3 set its frame keys on the next tick and spun on the 32 bytes
 * meanwhile: the whole process froze, SIGTERM included.
 */
export const FROZEN_HANDSHAKE = {
  nodeKey: fromHex('c771fb284cb89b07c7d390e1bf4039021f33cd29b2f8415e1ed5b892f2137816'),
  bytes: fromHex(
    [
    '01f40497db85473d89ba6a69bc885c20c0985e623fe8e06b8a059155db7e68cf92f13e769e1e86ef0bc89f8582a44e43',
    'c13f6ba4d52c20b8d5917564c5665ab2b1d127d26a6a18232cadaac85bdeb645fa4d2cc180b3661e2e7469f957ff43e5',
    'ff7777c27902926b9bed34ab17e1b5be11c2686b561a330e9c4336bc68465616c7308533f6021037df255b624be9439a',
    '1e21a27397b40716ccc87703a21a4a40cfcf45b2ca1b259ad6fd874f7505990e7f05631f26adccea5da34f0232ff0ae1',
    '992525492d2baeca97e11578d53804cec83fe7bf1c0952f3c4526bb99eaf27a8384a7a3eea5b794ee987538136122656',
    'df7887d88610ab680c336f17a32db0425568da4371708a7efcece73d1ac7f2d05d6cf198cfffb96231622979954f9d2c',
    '54bba703c5ffd905f023a928e7bfbdda8e64feecb04a57add54fcff1a1fa810ba605abaa2e9693b391eb52cea4c04ecf',
    '99f139ed1faa61a639cb540ff822443db7f48ceb7af34d28f3d4a0fdb68bee00ce54529a818a3fa3a3de838b87575361',
    'd8a77bfead29a54b608b41a4d2c19b35d45f218ac938d6d6e335a8b407b5adc977d495b615f6676029f96b3aa0f42c82',
    'be7a6f14d633c4e7d132dcd60825a04ec1bc64d6a3b12382c9d377c0466a83128736eb62d965661290126ad052227265',
    'a3022a8132ecac046c7480c018b203c97cd890eaba15000102030405060708090a0b0c0d0e0f10111213141516171819',
    '1a1b1c1d1e1f',
    ].join(''),
  ),
};

/** A fresh EIP-8 auth message to the node `serverId` (64 bytes), as a dialer's first packet. */
export function authMessage(serverId: Uint8Array): Uint8Array {
  const key = secp256k1.utils.randomPrivateKey();
  const auth = new ECIES(key, nodeIdFromPrivateKey(key), serverId, undefined as never).createAuthEIP8();
  if (auth === undefined) throw new Error('devp2p ECIES made no auth message');
  return auth;
}

/** A TCP connection to `port` on 127.0.0.1 that swallows its errors (the far side may reset it). */
export async function rawSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

export interface RawLesPeer {
  peer: Devp2pPeer;
  socket: Socket;
  les: LesProtocol;
  /** Writes a frame header declaring `size` bytes, then only `sent` bytes of its body. */
  partialFrame(size: number, sent: number): void;
  close(): Promise<void>;
}

/** A bare devp2p peer dialed to `enode`, through the RLPx Hello, with `status` sent as its LES Status. */
export async function rawLesPeer(enode: string, status: Status): Promise<RawLesPeer> {
  const { id, host, port } = parseEnode(enode);
  const rlpx = new LesRlpx(secp256k1.utils.randomPrivateKey(), {
    capabilities: [...LES_CAPABILITIES],
    maxPeers: 1,
    clientId: 'raw-test-peer',
    rlpxHandshakeTimeoutMs: 10_000,
    onDialSocketClosed: () => undefined,
  });
  rlpx.events.on('peer:error', () => undefined);
  const close = async (): Promise<void> => {
    rlpx.destroyUnhandshaken();
    if (rlpx._isAlive()) rlpx.destroy();
    for (const s of rlpx.sockets) s.destroy();
  };
  const added = once(rlpx.events, 'peer:added') as Promise<[Devp2pPeer]>;
  try {
    await rlpx.connect({ id, address: host, tcpPort: port });
    const [peer] = await added;
    const les = peer.getProtocols().find((x): x is LesProtocol => x instanceof LesProtocol);
    if (les === undefined) throw new Error('no les capability shared');
    les.sendRaw(0x00, encodeStatus(status));
    const socket = peer['_socket'];
    const ecies = peer['_eciesSession'];
    return {
      peer,
      socket,
      les,
      close,
      partialFrame(size, sent) {
        const header = ecies.createHeader(size);
        if (header === undefined) throw new Error('no frame keys');
        socket.write(header);
        socket.write(new Uint8Array(sent));
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A TCP relay to 127.0.0.1:`targetPort`. silence() makes the connections open at that moment stop
 * reading what the target sends and never close toward it, while the client's bytes still go
 * through: the target sees a peer that neither reads nor closes. Later connections relay normally.
 */
export class SilentRelay {
  readonly port: number;
  readonly #server: Server;
  readonly #upstream = new Set<Socket>();
  readonly #downstream: Set<Socket>;
  readonly #silenced = new WeakSet<Socket>();

  private constructor(server: Server, port: number, downstream: Set<Socket>) {
    this.#server = server;
    this.port = port;
    this.#downstream = downstream;
  }

  static async start(targetPort: number): Promise<SilentRelay> {
    const sockets = new Set<Socket>();
    const server = createServer((down) => {
      sockets.add(down);
      down.once('close', () => sockets.delete(down));
      relay.relay(down, targetPort);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const addr = server.address();
    const relay = new SilentRelay(server, typeof addr === 'object' && addr !== null ? addr.port : 0, sockets);
    return relay;
  }

  private relay(down: Socket, targetPort: number): void {
    const up = connect(targetPort, '127.0.0.1');
    this.#upstream.add(up);
    for (const s of [up, down]) s.on('error', () => undefined);
    down.on('data', (d) => up.write(d));
    up.on('data', (d) => down.write(d));
    down.on('close', () => {
      if (!this.#silenced.has(up)) up.destroy();
    });
    up.on('close', () => {
      this.#upstream.delete(up);
      down.destroy();
    });
  }

  silence(): void {
    for (const up of this.#upstream) {
      this.#silenced.add(up);
      up.pause();
    }
  }

  async close(): Promise<void> {
    for (const s of [...this.#upstream, ...this.#downstream]) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
