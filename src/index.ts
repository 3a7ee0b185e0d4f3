export * from './protocol/index.js';
export { McpServer, ServerSession, HandlerContext, MemoryTaskStore, type ServerOptions, type Registered, type TaskStore } from './server/index.js';
export { Client, type ClientOptions } from './client/index.js';
export { InMemoryTransport } from './transports/memory.js';
export * from './stores/index.js';
