export { StreamableHttpServer, type StreamableHttpServerOptions } from './server.js';
export { DEFAULT_DRAIN_GRACE_MS, DRAIN_EXPIRED_MESSAGE, type DrainOptions } from '../shared/drain.js';
export { responseChannel, PRIMING_MIN_VERSION } from './session-transport.js';
export { SseWriter, type SseWriterOptions } from './sse-writer.js';
export * from './client.js';
export { connectHttp, type ConnectHttpOptions, type HttpClientTransport } from '../connect-http.js';
export { createNodeFetch, type NodeFetchOptions } from '../shared/node-fetch.js';
