/** The erlmcp gateway: one MCP endpoint in front of many upstream MCP servers (docs/gateway.md). */
export { Gateway, createGateway, type GatewayOptions, type GatewayMetrics, type GatewayHealth } from './gateway.js';
export { parseGatewayConfig, loadGatewayConfig, gatewayConfigSchema, DEFAULT_SEPARATOR, DEFAULT_TIMEOUT_MS, type GatewayConfig, type UpstreamConfig, type UpstreamCacheConfig, type UpstreamPoolConfig } from './config.js';
export { PooledUpstream } from './pooled.js';
export { ClientUpstream, type Upstream, type UpstreamHealth, type UpstreamState, type ServerRequestHandler } from './upstream.js';
export { Names, GATEWAY_SCHEME, encodeCursor, decodeCursor, type GatewayCursor, type Namespace } from './names.js';
export { GatewayHttpServer, serveGatewayHttp, type ServeHttpOptions, type ServingHttp } from './http.js';
