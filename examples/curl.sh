#!/bin/sh
# curl against the verifying proxy (`npm start` / `lesp devnet`, or `lesp proxy`). Every answer
# was verified by the light client before the proxy sent it. Each call prints one JSON line.
#
#   sh examples/curl.sh                 # PROXY_URL (default http://127.0.0.1:8545)
#                                       # ADDRESS   (default anvil's dev account 0)
set -eu
URL=${PROXY_URL:-http://127.0.0.1:8545}
ADDRESS=${ADDRESS:-0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266}

rpc() {
  curl -sS -X POST "$URL" -H 'content-type: application/json' -d "$1"
  echo
}

# The chain id (0x7a69 = 31337 on the devnet).
rpc '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'

# The head the trusted servers agree on.
rpc '{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber","params":[]}'

# A balance, proven by a Merkle proof against the head's state root.
rpc '{"jsonrpc":"2.0","id":3,"method":"eth_getBalance","params":["'"$ADDRESS"'","latest"]}'

# The head block: its header hashes to the agreed hash, its transactions match transactionsRoot.
rpc '{"jsonrpc":"2.0","id":4,"method":"eth_getBlockByNumber","params":["latest",false]}'

# A batch, answered in order: the account's nonce, and how many transactions block 1 holds (an
# old header, proven by a CHT proof once its section is built, and its body against the header).
rpc '[{"jsonrpc":"2.0","id":5,"method":"eth_getTransactionCount","params":["'"$ADDRESS"'","latest"]},{"jsonrpc":"2.0","id":6,"method":"eth_getBlockTransactionCountByNumber","params":["0x1"]}]'

# A method the proxy cannot verify is refused (-32601), never forwarded unverified.
rpc '{"jsonrpc":"2.0","id":7,"method":"eth_sign","params":["'"$ADDRESS"'","0x00"]}'

# For operators: is it synced, its head, how many LES servers are connected.
curl -sS "$URL/health"
echo
