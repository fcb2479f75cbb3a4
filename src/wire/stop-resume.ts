/**
 * StopMsg (0x16) and ResumeMsg (0x17), les/3+.
 * StopMsg carries nothing; we send an empty list. ResumeMsg carries the BV: the spec writes
 * `[BV]`, the reference server sent the bare integer; we send the spec's form and accept both.
 */
import { ProtocolError } from './errors.js';
import { type RlpItem, decodeRlp, encodeRlp, encodeUint, readList, readUint } from './rlp.js';

export function encodeStopMsg(): Uint8Array {
  return encodeRlp([]);
}

/** Any payload is accepted as long as it is RLP: the message means "stop" whatever it carries. */
export function decodeStopMsg(data: Uint8Array): void {
  decodeRlp(data, 'StopMsg');
}

/** From an already-decoded item: whatever it is, it means "stop". */
export function stopMsgFromRlp(_item: RlpItem): void {}

export interface ResumeMsg {
  bv: number;
}

export function encodeResumeMsg(msg: ResumeMsg): Uint8Array {
  return encodeRlp([encodeUint(msg.bv)]);
}

export function resumeMsgFromRlp(item: RlpItem): ResumeMsg {
  if (item instanceof Uint8Array) return { bv: readUint(item, 'ResumeMsg', 'bv') };
  const [bv] = readList(item, 'ResumeMsg', 'resume', { len: 1 });
  if (bv === undefined) throw new ProtocolError('MALFORMED', 'ResumeMsg', 'bv', 'missing');
  return { bv: readUint(bv, 'ResumeMsg', 'bv') };
}

export function decodeResumeMsg(data: Uint8Array): ResumeMsg {
  return resumeMsgFromRlp(decodeRlp(data, 'ResumeMsg'));
}
