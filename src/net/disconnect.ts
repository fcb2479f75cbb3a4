/**
 * RLPx Disconnect reasons (devp2p RLPx spec, the same numbers as devp2p's DISCONNECT_REASON),
 * kept here so the peer logic does not depend on the transport library.
 */
export const DisconnectReason = {
  DisconnectRequested: 0x00,
  NetworkError: 0x01,
  ProtocolError: 0x02,
  UselessPeer: 0x03,
  TooManyPeers: 0x04,
  AlreadyConnected: 0x05,
  IncompatibleVersion: 0x06,
  InvalidIdentity: 0x07,
  ClientQuitting: 0x08,
  UnexpectedIdentity: 0x09,
  SameIdentity: 0x0a,
  Timeout: 0x0b,
  SubprotocolError: 0x10,
} as const;

export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

const NAMES = new Map<number, string>(Object.entries(DisconnectReason).map(([name, code]) => [code, name]));

/** A readable name for a reason code; `undefined` means the socket closed without one. */
export function disconnectReasonName(reason: number | undefined): string {
  if (reason === undefined) return 'SocketClosed';
  return NAMES.get(reason) ?? `Unknown(0x${reason.toString(16)})`;
}
