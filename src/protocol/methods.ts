/**
 * Method tables: which params and result each request carries, per direction.
 * The engine is generic over these maps so `request('tools/call', …)` is typed end to end.
 */
import type * as T from './types.js';

/** Requests a client sends to a server. */
export interface ClientRequestMap {
  ping: { params: T.RequestParams | undefined; result: T.EmptyResult };
  initialize: { params: T.InitializeRequestParams; result: T.InitializeResult };
  'completion/complete': { params: T.CompleteRequestParams; result: T.CompleteResult };
  'logging/setLevel': { params: T.RequestParams & { level: T.LoggingLevel }; result: T.EmptyResult };
  'prompts/get': {
    params: T.RequestParams & { name: string; arguments?: { [key: string]: string } };
    result: T.GetPromptResult;
  };
  'prompts/list': { params: T.PaginatedRequestParams | undefined; result: T.ListPromptsResult };
  'resources/list': { params: T.PaginatedRequestParams | undefined; result: T.ListResourcesResult };
  'resources/templates/list': { params: T.PaginatedRequestParams | undefined; result: T.ListResourceTemplatesResult };
  'resources/read': { params: T.RequestParams & { uri: string }; result: T.ReadResourceResult };
  'resources/subscribe': { params: T.RequestParams & { uri: string }; result: T.EmptyResult };
  'resources/unsubscribe': { params: T.RequestParams & { uri: string }; result: T.EmptyResult };
  'tools/call': { params: T.CallToolRequestParams; result: T.CallToolResult | T.CreateTaskResult };
  'tools/list': { params: T.PaginatedRequestParams | undefined; result: T.ListToolsResult };
  'tasks/get': { params: T.RequestParams & { taskId: string }; result: T.GetTaskResult };
  'tasks/result': { params: T.RequestParams & { taskId: string }; result: T.Result };
  'tasks/list': { params: T.PaginatedRequestParams | undefined; result: T.ListTasksResult };
  'tasks/cancel': { params: T.RequestParams & { taskId: string }; result: T.CancelTaskResult };
}

/** Requests a server sends to a client. */
export interface ServerRequestMap {
  ping: { params: T.RequestParams | undefined; result: T.EmptyResult };
  'sampling/createMessage': { params: T.CreateMessageRequestParams; result: T.CreateMessageResult };
  'roots/list': { params: T.RequestParams | undefined; result: T.ListRootsResult };
  'elicitation/create': { params: T.ElicitRequestParams; result: T.ElicitResult };
  'tasks/get': { params: T.RequestParams & { taskId: string }; result: T.GetTaskResult };
  'tasks/result': { params: T.RequestParams & { taskId: string }; result: T.Result };
  'tasks/list': { params: T.PaginatedRequestParams | undefined; result: T.ListTasksResult };
  'tasks/cancel': { params: T.RequestParams & { taskId: string }; result: T.CancelTaskResult };
}

/** Notifications a client sends. */
export interface ClientNotificationMap {
  'notifications/cancelled': T.CancelledNotificationParams;
  'notifications/progress': T.ProgressNotificationParams;
  'notifications/initialized': T.NotificationParams | undefined;
  'notifications/roots/list_changed': T.NotificationParams | undefined;
  'notifications/tasks/status': T.NotificationParams & T.Task;
}

/** Notifications a server sends. */
export interface ServerNotificationMap {
  'notifications/cancelled': T.CancelledNotificationParams;
  'notifications/progress': T.ProgressNotificationParams;
  'notifications/message': T.LoggingMessageNotificationParams;
  'notifications/resources/updated': T.NotificationParams & { uri: string };
  'notifications/resources/list_changed': T.NotificationParams | undefined;
  'notifications/tools/list_changed': T.NotificationParams | undefined;
  'notifications/prompts/list_changed': T.NotificationParams | undefined;
  'notifications/elicitation/complete': { elicitationId: string };
  'notifications/tasks/status': T.NotificationParams & T.Task;
}

export type RequestMap = { [method: string]: { params: unknown; result: unknown } };
export type NotificationMap = { [method: string]: unknown };

/** `_meta` key that ties a message to a task (basic/utilities/tasks). */
export const RELATED_TASK_META_KEY = 'io.modelcontextprotocol/related-task';
