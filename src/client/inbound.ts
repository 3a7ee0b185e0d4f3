/**
 * The client's answers to server→client requests (client/sampling, client/elicitation,
 * client/roots), from the handlers the app gave as options. A missing handler is -32601: the
 * capability was never declared.
 */
import type { RequestContext } from '../engine/context.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import type * as T from '../protocol/types.js';
import { applyElicitationDefaults } from './elicitation-defaults.js';
import type { ClientOptions } from './options.js';

export async function serveInbound(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext, options: ClientOptions, roots: T.Root[] | undefined): Promise<T.Result> {
  switch (method) {
    case 'ping':
      return {};
    case 'sampling/createMessage': {
      const h = options.sampling;
      if (!h) throw new McpError(ErrorCode.MethodNotFound, 'Client does not support sampling');
      return h(params as unknown as T.CreateMessageRequestParams, ctx);
    }
    case 'elicitation/create': {
      const h = options.elicitation;
      if (!h) throw new McpError(ErrorCode.MethodNotFound, 'Client does not support elicitation');
      const p = params as unknown as T.ElicitRequestParams;
      const result = await h(p, ctx);
      return p.mode === 'url' ? result : applyElicitationDefaults(p, result);
    }
    case 'roots/list':
      if (!roots) throw new McpError(ErrorCode.MethodNotFound, 'Client does not support roots');
      return { roots };
    default:
      throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
  }
}
