/** stdio transport (basic/transports#stdio): newline-delimited JSON-RPC over a child's pipes. */
export { DEFAULT_MAX_MESSAGE_BYTES, NewlineFramer, recoverId, serialize, tooLargeResponse, type NewlineFramerOptions, type OverflowInfo } from '../shared/framing.js';
export { StdioServerTransport, type StdioServerTransportOptions } from './server.js';
export { StdioClientTransport, getDefaultEnvironment, type ExitStatus, type StdioServerParameters } from './client.js';
