/**
 * WebSocket transport (custom, basic/transports#custom-transports): one JSON-RPC message or
 * batch array per text frame; one listener serves many connections, each its own session.
 */
export { McpWebSocketServer, DEFAULT_WS_PATH, type McpWebSocketServerOptions } from './server.js';
export { WebSocketClientTransport, WebSocketCloseError, type WebSocketClientTransportOptions } from './client.js';
export { CloseCode, WebSocketServerConnection } from './connection.js';
