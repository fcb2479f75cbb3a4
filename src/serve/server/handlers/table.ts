/**
 * The request table: one handler object per les/2-4 request code. The dispatcher looks a code up
 * here and nowhere else switches on codes.
 */
import { Code, type MessageOf, type RequestCode } from '../../../wire/index.js';
import { getBeaconLightClient } from './beacon.js';
import { getBlockBodies, getReceipts } from './chain-data.js';
import { getBlockHeaders } from './headers.js';
import { getHelperTrieProofs } from './helper-tries.js';
import { getContractCodes, getProofsV2 } from './state.js';
import { getTxStatus, sendTxV2 } from './tx.js';
import type { Handler } from './types.js';

export type HandlerTable = { readonly [C in RequestCode]: Handler<MessageOf<C>> };

export const HANDLERS: HandlerTable = {
  [Code.GetBlockHeaders]: getBlockHeaders,
  [Code.GetBlockBodies]: getBlockBodies,
  [Code.GetReceipts]: getReceipts,
  [Code.GetContractCodes]: getContractCodes,
  [Code.GetProofsV2]: getProofsV2,
  [Code.GetHelperTrieProofs]: getHelperTrieProofs,
  [Code.SendTxV2]: sendTxV2,
  [Code.GetTxStatus]: getTxStatus,
  [Code.GetBeaconLightClient]: getBeaconLightClient,
};
