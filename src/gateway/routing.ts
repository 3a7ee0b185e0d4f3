/**
 * Requests an upstream sends back (client/sampling, client/elicitation, client/roots) go to
 * the client whose call caused them, through that call's HandlerContext: so they travel on the
 * call's own stream (Streamable HTTP), are checked against that client's capabilities, and are
 * cancelled with it.
 *
 * Which call? MCP ties a nested request to its call only on Streamable HTTP's response stream;
 * on stdio and WebSocket nothing on the wire says. The gateway knows which of its calls are in
 * flight on the upstream that asks: when they all belong to one client session (the usual case,
 * and always with one client), that client is asked, in the context of its latest call. When
 * calls of several clients are in flight on the one upstream connection, the gateway refuses
 * rather than guess — asking the wrong user for input would leak one client's request to
 * another.
 */
import { ErlmcpError, ErrorCode, McpError } from '../protocol/errors.js';
import type { ElicitRequestFormParams, ElicitRequestURLParams, Result } from '../protocol/types.js';
import type { HandlerContext } from '../server/index.js';

export async function routeServerRequest(upstream: string, method: string, params: Record<string, unknown> | undefined, origins: readonly HandlerContext[], signal: AbortSignal): Promise<Result> {
  if (origins.length === 0) throw new McpError(ErrorCode.InvalidRequest, `${method} from upstream ${upstream} outside any client call: the gateway routes it only to the client whose call caused it`);
  const sessions = new Set(origins.map((o) => o.session));
  if (sessions.size > 1) {
    throw new McpError(ErrorCode.InvalidRequest, `${method} from upstream ${upstream}: calls of ${sessions.size} clients are in flight on it and the request does not say which one it belongs to`);
  }
  const ctx = origins[origins.length - 1]!;
  const p = params ?? {};
  try {
    switch (method) {
      case 'sampling/createMessage':
        return (await ctx.sample(p as never, { signal })) as unknown as Result;
      case 'elicitation/create':
        return (p.mode === 'url'
          ? await ctx.elicitUrl(p as unknown as Omit<ElicitRequestURLParams, 'mode'>, { signal })
          : await ctx.elicit(p as unknown as Omit<ElicitRequestFormParams, 'mode'>, { signal })) as unknown as Result;
      case 'roots/list':
        return (await ctx.listRoots({ signal })) as unknown as Result;
      default:
        throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
    }
  } catch (e) {
    // The client lacks the capability: what a client without it would answer (-32601).
    if (e instanceof ErlmcpError && e.code === 'ERR_CAPABILITY') throw new McpError(ErrorCode.MethodNotFound, e.message);
    if (e instanceof ErlmcpError) throw new McpError(ErrorCode.InternalError, `${method} via the gateway: ${e.message}`);
    throw e;
  }
}
