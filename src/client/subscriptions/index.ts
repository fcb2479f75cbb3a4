// Subscriptions (newHeads, logs) over any chain source: one reorg-aware engine, a cursor per subscriber.
export { type ChainSource, type NewHeadListener, SubscriptionEngine, type SubscriptionEngineOptions } from './engine.js';
export { SubscriptionError, type SubscriptionErrorCode } from './errors.js';
export { type HeadJson, type LogJson, Subscription, type SubscriptionKind, type SubscriptionListener } from './subscription.js';
