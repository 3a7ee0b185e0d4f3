export { LegacySseServer, type LegacySseServerOptions } from './server.js';
export { LegacySseSessionTransport } from './session-transport.js';
export { LegacySseClientTransport, type LegacySseClientTransportOptions } from './client.js';
