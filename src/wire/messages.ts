/**
 * Every LES message of codes.ts in one table: its code, name, kind, codec and per-request limit.
 * The network layer and the server dispatch through `codecOf(code)`; nothing else switches on codes.
 */
import { type Announce, announceFromRlp, decodeAnnounce, encodeAnnounce } from './announce.js';
import {
  type BeaconLightClient,
  type GetBeaconLightClient,
  beaconLightClientFromRlp,
  decodeBeaconLightClient,
  decodeGetBeaconLightClient,
  encodeBeaconLightClient,
  encodeGetBeaconLightClient,
  getBeaconLightClientFromRlp,
} from './beacon.js';
import {
  type BlockBodies,
  type GetBlockBodies,
  blockBodiesFromRlp,
  decodeBlockBodies,
  decodeGetBlockBodies,
  encodeBlockBodies,
  encodeGetBlockBodies,
  getBlockBodiesFromRlp,
} from './bodies.js';
import { Code, type MessageName, isRequestCode } from './codes.js';
import {
  type ContractCodes,
  type GetContractCodes,
  contractCodesFromRlp,
  decodeContractCodes,
  decodeGetContractCodes,
  encodeContractCodes,
  encodeGetContractCodes,
  getContractCodesFromRlp,
} from './contract-codes.js';
import {
  type BlockHeaders,
  type GetBlockHeaders,
  blockHeadersFromRlp,
  decodeBlockHeaders,
  decodeGetBlockHeaders,
  encodeBlockHeaders,
  encodeGetBlockHeaders,
  getBlockHeadersFromRlp,
} from './headers.js';
import {
  type GetHelperTrieProofs,
  type HelperTrieProofs,
  decodeGetHelperTrieProofs,
  decodeHelperTrieProofs,
  encodeGetHelperTrieProofs,
  encodeHelperTrieProofs,
  getHelperTrieProofsFromRlp,
  helperTrieProofsFromRlp,
} from './helper-trie.js';
import { MAX_ITEMS } from './limits.js';
import {
  type GetProofsV2,
  type ProofsV2,
  decodeGetProofsV2,
  decodeProofsV2,
  encodeGetProofsV2,
  encodeProofsV2,
  getProofsV2FromRlp,
  proofsV2FromRlp,
} from './proofs.js';
import {
  type GetReceipts,
  type Receipts,
  decodeGetReceipts,
  decodeReceipts,
  encodeGetReceipts,
  encodeReceipts,
  getReceiptsFromRlp,
  receiptsFromRlp,
} from './receipts.js';
import type { RlpItem } from './rlp.js';
import { type Status, decodeStatus, encodeStatus, statusFromRlp } from './status.js';
import {
  type ResumeMsg,
  decodeResumeMsg,
  decodeStopMsg,
  encodeResumeMsg,
  encodeStopMsg,
  resumeMsgFromRlp,
  stopMsgFromRlp,
} from './stop-resume.js';
import {
  type GetTxStatus,
  type SendTxV2,
  type TxStatus,
  decodeGetTxStatus,
  decodeSendTxV2,
  decodeTxStatus,
  encodeGetTxStatus,
  encodeSendTxV2,
  encodeTxStatus,
  getTxStatusFromRlp,
  sendTxV2FromRlp,
  txStatusFromRlp,
} from './tx.js';

/** Requests carry `[reqID, data]`, replies `[reqID, BV, data]`; the others have no envelope. */
export type MessageKind = 'request' | 'reply' | 'other';

/** The typed value of each message. StopMsg carries nothing. */
export interface MessageTypes {
  Status: Status;
  Announce: Announce;
  GetBlockHeaders: GetBlockHeaders;
  BlockHeaders: BlockHeaders;
  GetBlockBodies: GetBlockBodies;
  BlockBodies: BlockBodies;
  GetReceipts: GetReceipts;
  Receipts: Receipts;
  GetContractCodes: GetContractCodes;
  ContractCodes: ContractCodes;
  GetProofsV2: GetProofsV2;
  ProofsV2: ProofsV2;
  GetHelperTrieProofs: GetHelperTrieProofs;
  HelperTrieProofs: HelperTrieProofs;
  SendTxV2: SendTxV2;
  GetTxStatus: GetTxStatus;
  TxStatus: TxStatus;
  StopMsg: undefined;
  ResumeMsg: ResumeMsg;
  GetBeaconLightClient: GetBeaconLightClient;
  BeaconLightClient: BeaconLightClient;
}

export interface MessageCodec<T> {
  readonly code: number;
  readonly name: MessageName;
  readonly kind: MessageKind;
  encode(msg: T): Uint8Array;
  /** Throws only ProtocolError. */
  decode(data: Uint8Array): T;
  /** The same, from an item already decoded with decodeRlp. Throws only ProtocolError. */
  fromRlp(item: RlpItem): T;
  /** Items one request may ask for (requests only). */
  readonly limit?: number;
}

/** A codec of any message: a union, narrowed by `name` or `code`. */
export type AnyMessageCodec = { [N in MessageName]: MessageCodec<MessageTypes[N]> }[MessageName];

/** The name of the message with code C. */
export type MessageNameOf<C extends number> = { [N in MessageName]: (typeof Code)[N] extends C ? N : never }[MessageName];
export type MessageOf<C extends number> = MessageTypes[MessageNameOf<C>];

function row<N extends MessageName>(
  name: N,
  kind: MessageKind,
  encode: (msg: MessageTypes[N]) => Uint8Array,
  decode: (data: Uint8Array) => MessageTypes[N],
  fromRlp: (item: RlpItem) => MessageTypes[N],
): MessageCodec<MessageTypes[N]> {
  const code = Code[name];
  const base = { code, name, kind, encode, decode, fromRlp };
  return isRequestCode(code) ? { ...base, limit: MAX_ITEMS[code] } : base;
}

/** The table, in code order. */
export const MESSAGES: readonly AnyMessageCodec[] = [
  row('Status', 'other', encodeStatus, decodeStatus, statusFromRlp),
  row('Announce', 'other', encodeAnnounce, decodeAnnounce, announceFromRlp),
  row('GetBlockHeaders', 'request', encodeGetBlockHeaders, decodeGetBlockHeaders, getBlockHeadersFromRlp),
  row('BlockHeaders', 'reply', encodeBlockHeaders, decodeBlockHeaders, blockHeadersFromRlp),
  row('GetBlockBodies', 'request', encodeGetBlockBodies, decodeGetBlockBodies, getBlockBodiesFromRlp),
  row('BlockBodies', 'reply', encodeBlockBodies, decodeBlockBodies, blockBodiesFromRlp),
  row('GetReceipts', 'request', encodeGetReceipts, decodeGetReceipts, getReceiptsFromRlp),
  row('Receipts', 'reply', encodeReceipts, decodeReceipts, receiptsFromRlp),
  row('GetContractCodes', 'request', encodeGetContractCodes, decodeGetContractCodes, getContractCodesFromRlp),
  row('ContractCodes', 'reply', encodeContractCodes, decodeContractCodes, contractCodesFromRlp),
  row('GetProofsV2', 'request', encodeGetProofsV2, decodeGetProofsV2, getProofsV2FromRlp),
  row('ProofsV2', 'reply', encodeProofsV2, decodeProofsV2, proofsV2FromRlp),
  row('GetHelperTrieProofs', 'request', encodeGetHelperTrieProofs, decodeGetHelperTrieProofs, getHelperTrieProofsFromRlp),
  row('HelperTrieProofs', 'reply', encodeHelperTrieProofs, decodeHelperTrieProofs, helperTrieProofsFromRlp),
  row('SendTxV2', 'request', encodeSendTxV2, decodeSendTxV2, sendTxV2FromRlp),
  row('GetTxStatus', 'request', encodeGetTxStatus, decodeGetTxStatus, getTxStatusFromRlp),
  row('TxStatus', 'reply', encodeTxStatus, decodeTxStatus, txStatusFromRlp),
  row('StopMsg', 'other', () => encodeStopMsg(), (data) => {
    decodeStopMsg(data);
    return undefined;
  }, (item) => {
    stopMsgFromRlp(item);
    return undefined;
  }),
  row('ResumeMsg', 'other', encodeResumeMsg, decodeResumeMsg, resumeMsgFromRlp),
  row('GetBeaconLightClient', 'request', encodeGetBeaconLightClient, decodeGetBeaconLightClient, getBeaconLightClientFromRlp),
  row('BeaconLightClient', 'reply', encodeBeaconLightClient, decodeBeaconLightClient, beaconLightClientFromRlp),
];

const BY_CODE = new Map<number, AnyMessageCodec>(MESSAGES.map((m) => [m.code, m]));

/** The codec of a code, typed by the code when it is a literal; undefined for codes LES/2-4 lack. */
export function codecOf<C extends Code>(code: C): MessageCodec<MessageOf<C>>;
export function codecOf(code: number): AnyMessageCodec | undefined;
export function codecOf(code: number): unknown {
  return BY_CODE.get(code);
}
