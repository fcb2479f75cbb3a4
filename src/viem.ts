// The viem entry point (`les-provider/viem`): a viem transport over the light client. Separate from
// the main entry so that only viem users need viem (an optional peer dependency).
export { type LesTransport, type LesTransportAttributes, type LesTransportConfig, type LesTransportSource, type ViemEngine, lesTransport } from './client/viem.js';
