export { McpServer, type ServerOptions, type Registered, type NotificationFanout } from './server.js';
export { ServerSession, LOG_LEVELS } from './session.js';
export { HandlerContext } from './context.js';
export { MemoryTaskStore, isTerminal, type TaskStore, type TaskOutcome } from './tasks.js';
export type { ToolConfig, ToolHandler } from './registry/tools.js';
export type { ResourceMetadata, ReadResourceHandler, ReadTemplateHandler, ResourceTemplateOptions, CompleteHandler } from './registry/resources.js';
export type { PromptConfig, PromptHandler } from './registry/prompts.js';
export { UrlElicitationRequiredError, McpError, ErlmcpError, ErrorCode } from '../protocol/errors.js';
