// Public API of the net layer: the LES node and peer over devp2p RLPx, enode URLs, errors.
export { DisconnectReason, disconnectReasonName } from './disconnect.js';
export { type Enode, checkNodeId, formatEnode, nodeIdFromPrivateKey, parseEnode, parseNodeId } from './enode.js';
export type { IncomingRequest, Reply } from './envelope.js';
export {
  type CloseInitiator,
  DialError,
  EnodeError,
  FramingError,
  type FramingErrorCode,
  HandshakeError,
  type HandshakeErrorCode,
  CarrierError,
  type CarrierErrorCode,
  MessageTooLargeError,
  NodeError,
  PeerClosedError,
  PeerStateError,
  RequestTimeoutError,
} from './errors.js';
export type { MessageTally, PeerStats } from './counters.js';
export { type Role, checkRemoteStatus } from './handshake.js';
export { LES_CAPABILITIES, LesProtocol, lesCapability } from './les-protocol.js';
export {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_MAX_PEERS,
  RLPX_HANDSHAKE_TIMEOUT_MS,
  type DialTarget,
  LesNode,
  type LesNodeEvents,
  type LesNodeOptions,
  type PeerFailure,
  type StatusContext,
} from './node.js';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  LesPeer,
  type LesPeerEvents,
  type LesPeerOptions,
  type PeerCloseInfo,
  type PeerState,
  type ProtocolViolation,
  type ViolationKind,
} from './peer.js';
export type { LesTransport, TransportHandlers } from './transport.js';
