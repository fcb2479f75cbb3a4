/**
 * GetBeaconLightClient (the beacon extension, wire/beacon.ts): each query answered from the
 * server's beacon node through its BeaconRelay, unchecked (the client verifies). Served only when
 * the server relays (`lesp serve --beacon-api`); a query the node fails is the empty answer.
 */
import { Code, type GetBeaconLightClient, encodeBeaconLightClient } from '../../../wire/index.js';
import type { Handler } from './types.js';

const EMPTY = new Uint8Array(0);

export const getBeaconLightClient: Handler<GetBeaconLightClient> = {
  code: Code.GetBeaconLightClient,
  replyCode: Code.BeaconLightClient,
  // An updates query costs by the updates it asks for: each is a signed update to fetch and send.
  items: (msg) => msg.queries.reduce((n, q) => n + (q.kind === 'updates' ? Math.max(1, q.count) : 1), 0),
  served: (ctx) => ctx.beacon !== undefined,
  async serve(ctx, msg) {
    const relay = ctx.beacon;
    let refused = 0;
    const answers = await Promise.all(
      msg.queries.map(async (q) => {
        try {
          const a = (await relay?.answer(q)) ?? EMPTY;
          if (a.length === 0) refused++;
          return a;
        } catch (err) {
          refused++;
          ctx.log.debug({ err, kind: q.kind }, 'serve: beacon node did not answer');
          return EMPTY;
        }
      }),
    );
    return { encode: (reqID, bv) => encodeBeaconLightClient({ reqID, bv, answers }), refused };
  },
  fallback: (msg) => (reqID, bv) => encodeBeaconLightClient({ reqID, bv, answers: msg.queries.map(() => EMPTY) }),
};
