// The one-way layers of DESIGN §3, enforced. `npm run lint` fails on any of these.
const layer = (name) => `^src/${name}/`;
const rule = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to });

module.exports = {
  forbidden: [
    { name: 'no-cycles', comment: 'No import cycles anywhere in src.', severity: 'error', from: { path: '^src' }, to: { circular: true } },
    rule('wire-is-pure', 'wire knows only RLP and bytes.', layer('wire'),
      { path: ['^src/(net|flow|verify|client|proxy|serve|admin|store|cli)/', 'ethers', '@ethereumjs/devp2p', '^(node:)?(net|fs|http|dgram|child_process)$'] }),
    rule('verify-is-pure', 'verify may read wire types, nothing with I/O.', layer('verify'),
      { path: ['^src/(net|flow|client|proxy|serve|admin|store|cli)/', '@ethereumjs/devp2p', '^(node:)?(net|fs|http|dgram|child_process)$'] }),
    rule('beacon-verify-stands-alone', 'the light-client sync protocol needs bytes, SSZ, sha256 and BLS only: no wire, no ethers, no ethereumjs (it is bundled for the browser too).', layer('verify/beacon'),
      { path: ['^src/(wire|config)/', '^src/verify/(?!beacon/)', 'ethers', '@ethereumjs/'] }),
    { name: 'beacon-is-browser-ready', comment: 'the beacon light client (verify/beacon, client/chain/beacon-*) runs in the browser too: no Node built-ins.', severity: 'error',
      from: { path: ['^src/verify/beacon/', '^src/client/chain/beacon-'] }, to: { dependencyTypes: ['core'] } },
    { name: 'browser-path-has-no-node-io', comment: 'the browser entry and the WebSocket dial path (pure-JS RLPx) reach no Node I/O, node:crypto, LevelDB, devp2p or ws, directly or through anything they import (node:events is shimmed by the bundle).', severity: 'error',
      from: { path: ['^src/browser/', '^src/net/(ws-dial|rlpx-session|rlpx-ecies)\\.ts$'] },
      to: { reachable: true, path: ['^(node:)?(net|fs|fs/promises|crypto|os|http|https|dgram|child_process|tls|worker_threads|module)$', 'node_modules/(@ethereumjs/devp2p|ws|classic-level|abstract-level|level)/'] } },
    rule('flow-is-pure', 'flow control is arithmetic with an injected clock.', layer('flow'),
      { path: ['^src/(wire|net|verify|client|proxy|serve|admin|store|cli)/', 'ethers', '@ethereumjs/', '^(node:)?(net|fs|http|dgram|child_process)$'] }),
    rule('net-knows-no-ethers', 'net is RLPx + wire; it knows nothing of ethers or the layers above.', layer('net'),
      { path: ['^src/(verify|client|proxy|serve|admin|cli)/', 'ethers'] }),
    rule('client-knows-no-rlpx', 'the provider knows nothing of RLPx: it uses net only through its peer API.', layer('client'),
      { path: ['^src/(serve|proxy|admin|cli)/', '@ethereumjs/devp2p'] }),
    rule('config-is-low', 'network config is plain data and parsing.', layer('config'),
      { path: ['^src/(wire|net|flow|verify|client|proxy|serve|admin|store|cli)/', 'ethers', '@ethereumjs/devp2p', '^(node:)?(net|fs|http|dgram|child_process)$'] }),
    rule('store-is-low', 'store is persistence only.', layer('store'),
      { path: ['^src/(net|client|proxy|serve|admin|cli)/', 'ethers'] }),
    rule('serve-not-client', 'the server does not depend on the light client.', layer('serve'),
      { path: ['^src/(client|proxy|admin|cli)/'] }),
    rule('proxy-not-serve', 'the proxy is the client engine behind JSON-RPC.', layer('proxy'),
      { path: ['^src/(serve|admin|cli)/', '@ethereumjs/devp2p'] }),
    rule('devnet-is-top', 'the devnet (anvil, servers, client and proxy together) is an entry point: only cli may import it.', '^src/(?!devnet/|cli/)',
      { path: '^src/devnet/' }),
    rule('admin-is-top', 'admin (management JSON-RPC, tokens, the admin client) sits beside cli: only cli may import it.', '^src/(?!admin/|cli/)',
      { path: '^src/admin/' }),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
