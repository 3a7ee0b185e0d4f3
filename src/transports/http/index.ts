export { StreamableHttpServer, DEFAULT_DRAIN_GRACE_MS, DRAIN_EXPIRED_MESSAGE, type StreamableHttpServerOptions } from './server.js';
export type { DrainOptions } from './drain.js';
export { responseChannel, PRIMING_MIN_VERSION } from './session-transport.js';
export { SseWriter, type SseWriterOptions } from './sse-writer.js';
export * from './client.js';
export { connectHttp, type ConnectHttpOptions, type HttpClientTransport } from '../connect-http.js';
