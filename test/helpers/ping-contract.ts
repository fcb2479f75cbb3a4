/**
 * A tiny contract for event and revert tests, assembled here (no compiler needed):
 * - `ping(uint256 n)` (any 36-byte calldata) emits `Ping(uint256 n)`;
 * - `fail()` (4-byte calldata with fail()'s selector) reverts with the custom error `Nope(uint256 7)`;
 * - any other 4-byte call (e.g. `value()`) returns 42.
 */
import { id } from 'ethers';

export const PING_ABI = [
  { type: 'function', name: 'ping', stateMutability: 'nonpayable', inputs: [{ name: 'n', type: 'uint256' }], outputs: [] },
  { type: 'function', name: 'fail', stateMutability: 'view', inputs: [], outputs: [] },
  { type: 'function', name: 'value', stateMutability: 'view', inputs: [], outputs: [{ name: '', type: 'uint256' }] },
  { type: 'event', name: 'Ping', anonymous: false, inputs: [{ name: 'n', type: 'uint256', indexed: false }] },
  { type: 'error', name: 'Nope', inputs: [{ name: 'code', type: 'uint256' }] },
] as const;

export const PING_TOPIC = id('Ping(uint256)');
const FAIL_SELECTOR = id('fail()').slice(2, 10);
const NOPE_SELECTOR = id('Nope(uint256)').slice(2, 10);

const hex1 = (n: number) => n.toString(16).padStart(2, '0');

/** The runtime code; jump targets are computed from the parts' lengths. */
function runtime(): string {
  const head = (emit: number, fail: number) =>
    `36${'60'}24` + '14' + `60${hex1(emit)}57` + // calldatasize == 36 → emit
    '600035' + '60e01c' + `63${FAIL_SELECTOR}` + '14' + `60${hex1(fail)}57` + // selector == fail() → fail
    '602a60005260206000f3'; // return 42
  const emitPart = '5b' + '600435' + '600052' + `7f${PING_TOPIC.slice(2)}` + '60206000a1' + '00';
  const failPart = '5b' + `63${NOPE_SELECTOR}` + '60e01b' + '600052' + '6007600452' + '60246000fd';
  const headLen = head(0, 0).length / 2;
  const emit = headLen;
  const fail = emit + emitPart.length / 2;
  return head(emit, fail) + emitPart + failPart;
}

/** Deploys it: CODECOPY the runtime after an 11-byte prefix and RETURN it. */
export function pingInitcode(): string {
  const code = runtime();
  const len = code.length / 2;
  return `0x60${hex1(len)}80600b6000396000f3${code}`;
}
