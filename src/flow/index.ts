// Public API of the flow-control layer (DESIGN §4): pure arithmetic with an injected clock.
export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  BUFFER_LIMIT_MS,
  MAX_COST_MULTIPLIER,
  MIN_CAPACITY,
  type MaxRequestCost,
  type MrcTable,
  REFERENCE_COSTS,
  bufferLimit,
  deriveMrcTable,
  maxCost,
  mrcRow,
} from './cost-table.js';
export { FlowError, type FlowErrorCode } from './errors.js';
export { type FlowParams } from './params.js';
export { SAFETY_MARGIN_MS, ServerBufferEstimate } from './client-buffer.js';
export { type AcceptResult, ClientBuffer, type ClientBufferOptions, DEFAULT_RESUME_FRACTION } from './server-buffer.js';
