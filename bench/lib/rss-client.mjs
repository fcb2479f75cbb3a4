// The light client alone in a process, as users run it: plain node, the compiled package (dist/),
// no TypeScript loader. Started by bench/client-rss.ts over IPC.
//   node bench/lib/rss-client.mjs --client '<LesClientOptions json>'   a LesProvider, reads on order
//   node bench/lib/rss-client.mjs --bare                               the package loaded, nothing started
// Plain JavaScript: a .ts child would need tsx, whose loader alone holds about as much memory as
// the goal allows.
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { AbiCoder, getAddress, id } from 'ethers';

const { LesClient, LesProvider } = await import(new URL('../../dist/index.js', import.meta.url).href);

/** The i-th account of the load (the parent funds the same ones). */
export const address = (i) => getAddress(`0x${Buffer.from(keccak256(new TextEncoder().encode(`rss-${i}`)).slice(12)).toString('hex')}`);

const send = (m) => process.send?.(m);

if (process.argv[2] === '--bare') {
  send({ type: 'ready', head: -1 });
  setInterval(() => undefined, 1000); // an idle process stays up until killed
} else if (process.argv[2] === '--client') {
  const client = new LesClient(JSON.parse(process.argv[3]));
  const provider = new LesProvider({ engine: client, network: 'devnet' });
  await provider.start();
  send({ type: 'ready', head: client.head()?.header.number ?? -1 });
  process.on('message', (m) => {
    if (m.type === 'stop') void provider.close().then(() => process.exit(0));
    if (m.type !== 'load') return;
    const abi = AbiCoder.defaultAbiCoder();
    const byMethod = {};
    let errors = 0;
    let i = 0;
    const reads = [
      ['getBalance', () => provider.getBalance(address(i % m.accounts), 'latest')],
      ['getTransactionCount', () => provider.getTransactionCount(address(i % m.accounts), 'latest')],
      ['getCode', () => provider.getCode(m.token, 'latest')],
      ['getStorageAt', () => provider.getStorage(m.token, i % 4, 'latest')],
      ['call balanceOf', () => provider.call({ to: m.token, data: id('balanceOf(address)').slice(0, 10) + abi.encode(['address'], [i % 2 === 0 ? m.holder : address(i % m.accounts)]).slice(2) })],
      ['getBlock', () => provider.getBlock('latest')],
      ['getLogs', () => provider.getLogs({ address: m.token, fromBlock: Math.max(0, (client.head()?.header.number ?? 0) - 15), toBlock: 'latest' })],
    ];
    const end = performance.now() + m.seconds * 1000;
    void Promise.all(
      Array.from({ length: m.workers }, async () => {
        while (performance.now() < end) {
          const k = i++;
          const [name, read] = reads[k % reads.length];
          try {
            await read();
            byMethod[name] = (byMethod[name] ?? 0) + 1;
          } catch (e) {
            if (errors++ < 3) console.error(`client-rss child: ${name} failed: ${String(e)}`);
          }
        }
      }),
    ).then(() => {
      const total = Object.values(byMethod).reduce((a, b) => a + b, 0);
      // After a full GC: what the client holds, not garbage yet to be collected.
      globalThis.gc?.();
      send({ type: 'done', reads: total, errors, byMethod, memory: process.memoryUsage() });
    });
  });
}
