/**
 * `subscriptions/listen` (2026-07-28): the one long-lived request of the stateless revision.
 * The server acknowledges first with the subset of the requested notifications it can honor,
 * then sends each matching server-wide notification tagged with `subscriptionId` (the listen
 * request's id) until the client closes the stream (cancellation) or the server shuts down
 * (a graceful listen result).
 */
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { META } from '../../protocol/eras.js';
import type { Result } from '../../protocol/types.js';
import type { RequestHandler } from '../handlers.js';

interface Filter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

const LIST_CHANGED: Record<string, keyof Filter> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

export const listen: RequestHandler = async (session, params, ctx) => {
  const f = params.notifications;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new McpError(ErrorCode.InvalidParams, 'params.notifications must be an object');
  const want = f as Filter;
  if (want.resourceSubscriptions !== undefined && (!Array.isArray(want.resourceSubscriptions) || !want.resourceSubscriptions.every((u) => typeof u === 'string'))) {
    throw new McpError(ErrorCode.InvalidParams, 'params.notifications.resourceSubscriptions must be an array of URIs');
  }
  const server = session.server;
  const caps = server.capabilities();
  // Only what this server can deliver is honored (and said so in the acknowledgement).
  const honored: Filter = {};
  if (want.toolsListChanged && caps.tools?.listChanged) honored.toolsListChanged = true;
  if (want.promptsListChanged && caps.prompts?.listChanged) honored.promptsListChanged = true;
  if (want.resourcesListChanged && caps.resources?.listChanged) honored.resourcesListChanged = true;
  if (want.resourceSubscriptions?.length && caps.resources?.subscribe) honored.resourceSubscriptions = [...want.resourceSubscriptions];
  const subscriptionId = ctx.id;
  const tag = { [META.subscriptionId]: subscriptionId };
  const done: Result = { _meta: tag };
  if (Object.keys(honored).length === 0) {
    await ctx.notify('notifications/subscriptions/acknowledged', { notifications: honored, _meta: tag });
    return done;
  }
  const uris = new Set(honored.resourceSubscriptions ?? []);
  return new Promise<Result>((resolve) => {
    const finish = (): void => {
      offEvent();
      offClose();
      resolve(done);
    };
    // Subscribed before the acknowledgement is sent: a change right after it is not lost, and
    // the acknowledgement still goes first (sends on one request keep their order).
    const offEvent = server.onEvent((method, p) => {
      const key = LIST_CHANGED[method];
      const match = key !== undefined ? honored[key] === true : method === 'notifications/resources/updated' && uris.has(String(p?.uri));
      if (match) ctx.notify(method, { ...p, _meta: tag }).catch(() => finish());
    });
    const offClose = server.onClose(finish);
    // The client closing the stream cancels the request (basic/transports/streamable-http).
    ctx.signal.addEventListener('abort', finish, { once: true });
    ctx.notify('notifications/subscriptions/acknowledged', { notifications: honored, _meta: tag }).catch(() => finish());
  });
};
