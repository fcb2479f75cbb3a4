/**
 * Transaction kinds, answered by TxStatus. Neither answer can be proven (DESIGN §5): they are
 * decoded strictly and the facade asks several servers and checks an "included" status against
 * the verified block body before believing it.
 *   txStatus  GetTxStatus [hash, ...]: any server whose recentTxLookup is not 1 (les/4: 1 = none).
 *   sendTx    SendTxV2 [tx, ...]: only servers that announced txRelay.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { OdrKind } from '../contracts.js';
import { Code } from '../../wire/codes.js';
import { MAX_SEND_TXS, MAX_TX_STATUS, type TxStatusEntry, decodeTxStatus, encodeGetTxStatus, encodeSendTxV2 } from '../../wire/tx.js';
import { answersFor, checkReplyCount, toHex } from './common.js';

export interface TxHashItem {
  hash: Uint8Array;
}

export interface SendTxItem {
  /** Canonical binary form of a signed transaction. */
  raw: Uint8Array;
}

function statuses(items: readonly unknown[], payload: Uint8Array): Array<TxStatusEntry | undefined> {
  const reply = decodeTxStatus(payload);
  checkReplyCount(reply.statuses.length, items.length, 'TxStatus', 'statuses');
  return answersFor(items, reply.statuses.length, (_item, i) => reply.statuses[i] as TxStatusEntry);
}

export const txStatusKind: OdrKind<TxHashItem, TxStatusEntry> = {
  name: 'txStatus',
  code: Code.GetTxStatus,
  maxItems: MAX_TX_STATUS,
  units: () => 1,
  canServe: (server) => server.caps.recentTxLookup !== 1,
  key: (item) => `txStatus:${toHex(item.hash)}`,
  encode: (reqID, items) => encodeGetTxStatus({ reqID, hashes: items.map((i) => i.hash) }),
  verify: statuses,
};

export const sendTxKind: OdrKind<SendTxItem, TxStatusEntry> = {
  name: 'sendTx',
  code: Code.SendTxV2,
  maxItems: MAX_SEND_TXS,
  units: () => 1,
  canServe: (server) => server.caps.txRelay,
  key: (item) => `sendTx:${toHex(keccak256(item.raw))}`,
  encode: (reqID, items) => encodeSendTxV2({ reqID, txs: items.map((i) => i.raw) }),
  verify: statuses,
};
