/**
 * TCP / TLS transport (custom, basic/transports#custom-transports): newline-delimited JSON-RPC
 * as on stdio; one listener serves many connections, each its own session.
 */
export { McpTcpServer, type McpTcpServerOptions } from './server.js';
export { TcpClientTransport, CONNECTION_LOST, type TcpClientTransportOptions, type TcpReconnectOptions } from './client.js';
export { TcpServerConnection, type TcpConnectionLimits } from './connection.js';
