/**
 * A FakeLesServer in a process of its own, so a test can measure the client's CPU apart from the
 * server's (compressing a 9.5 MiB message costs the sender too). Started with the genesis hash
 * (hex) as argument on the devnet network; prints `{"enode": ...}` once listening, then obeys
 * lines on stdin:
 *   unknown <count> <MiB>   sends every client <count> BlockHeaders replies of about <MiB> MiB
 *                           whose reqIDs no request used; prints {"sent": n}
 *   quit                    closes and exits
 */
import { createInterface } from 'node:readline';
import { DEVNET } from '../../src/config/network.js';
import { Code } from '../../src/wire/codes.js';
import { encodeRlp, encodeUint } from '../../src/wire/rlp.js';
import { FakeLesServer, keccakAnswerer } from './fake-les-server.js';

const genesisHash = Uint8Array.from(Buffer.from(process.argv[2] ?? '', 'hex'));
const server = new FakeLesServer({ network: DEVNET, genesisHash, answer: keccakAnswerer });
const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** [reqID, BV, [32-byte strings]] of about `mib` MiB: compresses well, as the one measured did (9.5 MiB → ~0.5 MiB). */
function unsolicited(reqID: number, mib: number): Uint8Array {
  const count = Math.floor((mib * 2 ** 20) / 33);
  if (items.length !== count) items = Array.from({ length: count }, (_, i) => new Uint8Array(32).fill(i & 0xff));
  return encodeRlp([encodeUint(reqID), encodeUint(1), items]);
}
let items: Uint8Array[] = [];

say({ enode: await server.start() });
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'unknown') {
    let sent = 0;
    for (let i = 0; i < Number(a); i++) sent += server.sendRaw(Code.BlockHeaders, unsolicited(1_000_000 + i, Number(b)));
    say({ sent });
  } else if (cmd === 'quit') {
    break;
  }
}
await server.close();
process.exit(0);
