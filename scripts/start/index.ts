/** `npm start`'s own parts: its settings, and the thread its RPCs run on. */
export { loadLocalConfig, localDefaults, type LocalConfig } from './config.js';
export { addThreadMetrics, startGrpcThread } from './grpc-thread.js';
