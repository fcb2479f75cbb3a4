// snappyjs ships no types; it is the block-format snappy that devp2p uses for RLPx v5 frames.
declare module 'snappyjs' {
  export function compress(data: Uint8Array): Uint8Array;
  export function uncompress(data: Uint8Array): Uint8Array;
}
