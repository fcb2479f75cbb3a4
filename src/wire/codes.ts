/**
 * LES message codes (les/2..les/4) and the facts that hang on them. DESIGN §4.
 * les/1 codes (GetProofs 0x08, GetHeaderProofs 0x0d, SendTx 0x0c, ...) are not supported: les/2
 * dropped them. 0x08/0x09 carry the beacon light-client extension between peers that announce it.
 */
export const Code = {
  Status: 0x00,
  Announce: 0x01,
  GetBlockHeaders: 0x02,
  BlockHeaders: 0x03,
  GetBlockBodies: 0x04,
  BlockBodies: 0x05,
  GetReceipts: 0x06,
  Receipts: 0x07,
  /** The beacon light-client extension (wire/beacon.ts), on les/1's retired GetProofs/Proofs codes. */
  GetBeaconLightClient: 0x08,
  BeaconLightClient: 0x09,
  GetContractCodes: 0x0a,
  ContractCodes: 0x0b,
  GetProofsV2: 0x0f,
  ProofsV2: 0x10,
  GetHelperTrieProofs: 0x11,
  HelperTrieProofs: 0x12,
  SendTxV2: 0x13,
  GetTxStatus: 0x14,
  TxStatus: 0x15,
  StopMsg: 0x16,
  ResumeMsg: 0x17,
} as const;

export type Code = (typeof Code)[keyof typeof Code];
export type MessageName = keyof typeof Code;

export const codeName: ReadonlyMap<number, MessageName> = new Map(
  (Object.entries(Code) as Array<[MessageName, number]>).map(([name, code]) => [code, name]),
);

export const SUPPORTED_VERSIONS = [2, 3, 4] as const;
export type LesVersion = (typeof SUPPORTED_VERSIONS)[number];

/** Message-space length per version (the spec's; devp2p 6.1.3 says 21/23/23, which loses TxStatus on les/2). */
export const MESSAGE_SPACE: Readonly<Record<LesVersion, number>> = { 2: 22, 3: 24, 4: 24 };

/** The lowest version in which a code exists. */
export function minVersion(code: number): LesVersion {
  return code === Code.StopMsg || code === Code.ResumeMsg ? 3 : 2;
}

/** Requests (client → server) and the reply code each expects. SendTxV2 is answered by TxStatus. */
export const REPLY_OF = new Map<number, number>([
  [Code.GetBlockHeaders, Code.BlockHeaders],
  [Code.GetBlockBodies, Code.BlockBodies],
  [Code.GetReceipts, Code.Receipts],
  [Code.GetContractCodes, Code.ContractCodes],
  [Code.GetProofsV2, Code.ProofsV2],
  [Code.GetHelperTrieProofs, Code.HelperTrieProofs],
  [Code.SendTxV2, Code.TxStatus],
  [Code.GetTxStatus, Code.TxStatus],
  [Code.GetBeaconLightClient, Code.BeaconLightClient],
]);

export type RequestCode =
  | typeof Code.GetBlockHeaders
  | typeof Code.GetBlockBodies
  | typeof Code.GetReceipts
  | typeof Code.GetContractCodes
  | typeof Code.GetProofsV2
  | typeof Code.GetHelperTrieProofs
  | typeof Code.SendTxV2
  | typeof Code.GetTxStatus
  | typeof Code.GetBeaconLightClient;

export const REQUEST_CODES: readonly RequestCode[] = [
  Code.GetBlockHeaders,
  Code.GetBlockBodies,
  Code.GetReceipts,
  Code.GetContractCodes,
  Code.GetProofsV2,
  Code.GetHelperTrieProofs,
  Code.SendTxV2,
  Code.GetTxStatus,
  Code.GetBeaconLightClient,
];

export function isRequestCode(code: number): code is RequestCode {
  return REPLY_OF.has(code);
}

/** Codes that carry replies `[reqID, BV, data]`. */
export const REPLY_CODES: ReadonlySet<number> = new Set(REPLY_OF.values());
