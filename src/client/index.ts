export { Client, type ClientOptions, type SamplingHandler, type ElicitationHandler } from './client.js';
export { applyElicitationDefaults } from './elicitation-defaults.js';
export { McpError, ErlmcpError, ErrorCode, UrlElicitationRequiredError } from '../protocol/errors.js';
export type { ClientCall, ClientMiddleware } from './middleware.js';
export { eraVerdicts, type VersionNegotiation } from './era.js';
export { Subscription, type ListenFilter, type ListenNotification, type ListenEnd } from './listen.js';
export type { BatchCall, BatchResult } from './batch.js';
export * from './pool/index.js';
