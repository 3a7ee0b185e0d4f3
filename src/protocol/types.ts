/**
 * MCP 2025-11-25 wire types (schema/2025-11-25/schema.ts), frozen for this revision.
 * Older revisions (2025-06-18, 2025-03-26, 2024-11-05) are subsets of these shapes on the
 * wire, so one set of types serves every negotiated version; fields a peer does not know
 * are simply absent or ignored. Pure types: no runtime code, no I/O.
 */

export type RequestId = string | number;
export type ProgressToken = string | number;
export type Cursor = string;
export type Meta = { [key: string]: unknown };

/* ---------- JSON-RPC 2.0 envelopes ---------- */

export interface JSONRPCRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: { [key: string]: unknown };
}
export interface JSONRPCNotification {
  jsonrpc: '2.0';
  method: string;
  params?: { [key: string]: unknown };
}
export interface JSONRPCResultResponse {
  jsonrpc: '2.0';
  id: RequestId;
  result: Result;
}
export interface JSONRPCErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
export interface JSONRPCErrorResponse {
  jsonrpc: '2.0';
  /** null when the request id could not be determined (parse error, invalid request). */
  id: RequestId | null;
  error: JSONRPCErrorObject;
}
export type JSONRPCResponse = JSONRPCResultResponse | JSONRPCErrorResponse;
export type JSONRPCMessage = JSONRPCRequest | JSONRPCNotification | JSONRPCResponse;

export interface RequestParams {
  _meta?: { progressToken?: ProgressToken; [key: string]: unknown };
}
export interface TaskAugmentedRequestParams extends RequestParams {
  task?: TaskMetadata;
}
export interface NotificationParams {
  _meta?: Meta;
}
export interface Result {
  _meta?: Meta;
  [key: string]: unknown;
}
export type EmptyResult = Result;

/* ---------- lifecycle ---------- */

export interface Icon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: 'light' | 'dark';
}
export interface BaseMetadata {
  name: string;
  title?: string;
}
export interface Implementation extends BaseMetadata {
  version: string;
  description?: string;
  websiteUrl?: string;
  icons?: Icon[];
}

export interface ClientCapabilities {
  experimental?: { [key: string]: object };
  roots?: { listChanged?: boolean };
  sampling?: { context?: object; tools?: object };
  elicitation?: { form?: object; url?: object };
  tasks?: {
    list?: object;
    cancel?: object;
    requests?: { sampling?: { createMessage?: object }; elicitation?: { create?: object } };
  };
}
export interface ServerCapabilities {
  experimental?: { [key: string]: object };
  logging?: object;
  completions?: object;
  prompts?: { listChanged?: boolean };
  resources?: { subscribe?: boolean; listChanged?: boolean };
  tools?: { listChanged?: boolean };
  tasks?: { list?: object; cancel?: object; requests?: { tools?: { call?: object } } };
}

export interface InitializeRequestParams extends RequestParams {
  protocolVersion: string;
  capabilities: ClientCapabilities;
  clientInfo: Implementation;
}
export interface InitializeResult extends Result {
  protocolVersion: string;
  capabilities: ServerCapabilities;
  serverInfo: Implementation;
  instructions?: string;
}

export interface CancelledNotificationParams extends NotificationParams {
  requestId?: RequestId;
  reason?: string;
}
export interface ProgressNotificationParams extends NotificationParams {
  progressToken: ProgressToken;
  progress: number;
  total?: number;
  message?: string;
}
export interface PaginatedRequestParams extends RequestParams {
  cursor?: Cursor;
}
export interface PaginatedResult extends Result {
  nextCursor?: Cursor;
}

/* ---------- content ---------- */

export type Role = 'user' | 'assistant';
export interface Annotations {
  audience?: Role[];
  priority?: number;
  lastModified?: string;
}
export interface TextContent {
  type: 'text';
  text: string;
  annotations?: Annotations;
  _meta?: Meta;
}
export interface ImageContent {
  type: 'image';
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Meta;
}
export interface AudioContent {
  type: 'audio';
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Meta;
}
export interface ResourceLink extends Resource {
  type: 'resource_link';
}
export interface EmbeddedResource {
  type: 'resource';
  resource: TextResourceContents | BlobResourceContents;
  annotations?: Annotations;
  _meta?: Meta;
}
export type ContentBlock = TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource;

/* ---------- resources ---------- */

export interface Resource extends BaseMetadata {
  uri: string;
  description?: string;
  mimeType?: string;
  annotations?: Annotations;
  size?: number;
  icons?: Icon[];
  _meta?: Meta;
}
export interface ResourceTemplate extends BaseMetadata {
  uriTemplate: string;
  description?: string;
  mimeType?: string;
  annotations?: Annotations;
  icons?: Icon[];
  _meta?: Meta;
}
export interface ResourceContents {
  uri: string;
  mimeType?: string;
  _meta?: Meta;
}
export interface TextResourceContents extends ResourceContents {
  text: string;
}
export interface BlobResourceContents extends ResourceContents {
  blob: string;
}
export interface ListResourcesResult extends PaginatedResult {
  resources: Resource[];
}
export interface ListResourceTemplatesResult extends PaginatedResult {
  resourceTemplates: ResourceTemplate[];
}
export interface ReadResourceResult extends Result {
  contents: (TextResourceContents | BlobResourceContents)[];
}

/* ---------- prompts ---------- */

export interface PromptArgument extends BaseMetadata {
  description?: string;
  required?: boolean;
}
export interface Prompt extends BaseMetadata {
  description?: string;
  arguments?: PromptArgument[];
  icons?: Icon[];
  _meta?: Meta;
}
export interface PromptMessage {
  role: Role;
  content: ContentBlock;
}
export interface ListPromptsResult extends PaginatedResult {
  prompts: Prompt[];
}
export interface GetPromptResult extends Result {
  description?: string;
  messages: PromptMessage[];
}

/* ---------- tools ---------- */

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}
export interface ToolExecution {
  taskSupport?: 'forbidden' | 'optional' | 'required';
}
/** A JSON Schema object as sent on the wire; kept verbatim (2020-12 keywords included). */
export interface ObjectJsonSchema {
  $schema?: string;
  type: 'object';
  properties?: { [key: string]: object };
  required?: string[];
  [keyword: string]: unknown;
}
export interface Tool extends BaseMetadata {
  description?: string;
  inputSchema: ObjectJsonSchema;
  outputSchema?: ObjectJsonSchema;
  execution?: ToolExecution;
  annotations?: ToolAnnotations;
  icons?: Icon[];
  _meta?: Meta;
}
export interface ListToolsResult extends PaginatedResult {
  tools: Tool[];
}
export interface CallToolRequestParams extends TaskAugmentedRequestParams {
  name: string;
  arguments?: { [key: string]: unknown };
}
export interface CallToolResult extends Result {
  content: ContentBlock[];
  structuredContent?: { [key: string]: unknown };
  isError?: boolean;
}

/* ---------- tasks (2025-11-25, experimental) ---------- */

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
export interface TaskMetadata {
  ttl?: number;
}
export interface RelatedTaskMetadata {
  taskId: string;
}
export interface Task {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttl: number | null;
  pollInterval?: number;
}
export interface CreateTaskResult extends Result {
  task: Task;
}
export type GetTaskResult = Result & Task;
export type CancelTaskResult = Result & Task;
export interface ListTasksResult extends PaginatedResult {
  tasks: Task[];
}

/* ---------- logging ---------- */

export type LoggingLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';
export interface LoggingMessageNotificationParams extends NotificationParams {
  level: LoggingLevel;
  logger?: string;
  data: unknown;
}

/* ---------- completion ---------- */

export interface PromptReference extends BaseMetadata {
  type: 'ref/prompt';
}
export interface ResourceTemplateReference {
  type: 'ref/resource';
  uri: string;
}
export interface CompleteRequestParams extends RequestParams {
  ref: PromptReference | ResourceTemplateReference;
  argument: { name: string; value: string };
  context?: { arguments?: { [key: string]: string } };
}
export interface CompleteResult extends Result {
  completion: { values: string[]; total?: number; hasMore?: boolean };
}

export * from './client-features.js';
