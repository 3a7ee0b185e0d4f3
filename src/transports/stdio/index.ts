/** stdio transport (basic/transports#stdio): newline-delimited JSON-RPC over a child's pipes. */
export { DEFAULT_MAX_MESSAGE_BYTES, NewlineFramer, recoverId, serialize, type NewlineFramerOptions, type OverflowInfo } from './framing.js';
export { StdioServerTransport, tooLargeResponse, type StdioServerTransportOptions } from './server.js';
export { StdioClientTransport, getDefaultEnvironment, type ExitStatus, type StdioServerParameters } from './client.js';
