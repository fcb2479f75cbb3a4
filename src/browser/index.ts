/**
 * les-provider/browser: what runs in a browser today — LES over WebSocket with the RLPx handshake
 * and framing in pure JavaScript (no Node built-ins, no devp2p), the LesPeer above it, and a
 * client-role node dialing `?transport=ws|wss` enodes. The engine (chain, scheduler, EVM,
 * providers) is not in this bundle yet: its Node-only imports are listed in the README.
 */
export { dialWs, wsUrlOf, type WebSocketConstructor, type WebSocketLike, type WsDialOptions } from '../net/ws-dial.js';
export { WsLesNode, type WsLesNodeEvents, type WsLesNodeOptions } from '../net/ws-node.js';
export { RlpxSession, type RlpxSessionHandlers, type RlpxSessionOptions } from '../net/rlpx-session.js';
export { type Enode, formatEnode, parseEnode, nodeIdFromPrivateKey } from '../net/enode.js';
export { CarrierError, DialError, EnodeError, FramingError, HandshakeError, PeerClosedError, RequestTimeoutError } from '../net/errors.js';
export type { LesPeer } from '../net/peer.js';
export { Code } from '../wire/codes.js';
export { encodeGetBlockHeaders } from '../wire/headers.js';
export { codecOf } from '../wire/messages.js';
export { PREIMAGES_STATUS_KEY, encodeGetProofsV2 } from '../wire/proofs.js';
export { decodeHeader, headerHash } from '../verify/header.js';
export { accountKey, verifyAccountProof } from '../verify/state.js';
export { VerificationError } from '../verify/errors.js';
