/**
 * Requests an upstream sends back (client/sampling, client/elicitation, client/roots) go to
 * the client whose call caused them, through that call's HandlerContext: so they travel on the
 * call's own stream (Streamable HTTP), are checked against that client's capabilities, and are
 * cancelled with it.
 *
 * Which call? MCP ties a nested request to its call only on Streamable HTTP: the server sends it
 * on the response stream of the POST that carried the call (basic/transports, "Sending Messages
 * to the Server"), and our HTTP client transport says which request's stream it came on
 * (`relatedRequestId`). Then the gateway knows the call exactly, however many clients have calls
 * in flight on that upstream session.
 *
 * stdio and WebSocket carry no such link: a sampling/elicitation/roots request has no field
 * naming the request it serves (a progressToken is the caller's, sent only on progress
 * notifications). There the gateway looks at the calls in flight on that upstream connection:
 * when they all belong to one client session (the usual case, and always with one client), that
 * client is asked, in the context of its latest call. When calls of several clients are in flight
 * on the one connection, the gateway refuses rather than guess — asking the wrong user for input
 * would leak one client's request to another.
 */
import { ErlmcpError, ErrorCode, McpError } from '../protocol/errors.js';
import type { ElicitRequestFormParams, ElicitRequestURLParams, Result } from '../protocol/types.js';
import type { HandlerContext } from '../server/index.js';

/** The calls an upstream request may belong to (see connect.ts `Cause`), as the gateway's contexts. */
export interface Origins<O> {
  /** Known exactly (Streamable HTTP): `origin` is the call, or undefined when no client's call caused it. */
  linked: boolean;
  origin: O | undefined;
  /** Calls in flight on the upstream connection the request came on. */
  candidates: readonly O[];
}

function pick(upstream: string, method: string, origins: Origins<HandlerContext>): HandlerContext {
  const outside = () => new McpError(ErrorCode.InvalidRequest, `${method} from upstream ${upstream} outside any client call: the gateway routes it only to the client whose call caused it`);
  if (origins.linked) {
    if (!origins.origin) throw outside();
    return origins.origin;
  }
  const { candidates } = origins;
  if (candidates.length === 0) throw outside();
  const sessions = new Set(candidates.map((o) => o.session));
  if (sessions.size > 1) {
    throw new McpError(
      ErrorCode.InvalidRequest,
      `${method} from upstream ${upstream}: calls of ${sessions.size} clients are in flight on it and the request does not say which one it belongs to (only a Streamable HTTP upstream does)`,
    );
  }
  return candidates[candidates.length - 1]!;
}

export async function routeServerRequest(upstream: string, method: string, params: Record<string, unknown> | undefined, origins: Origins<HandlerContext>, signal: AbortSignal): Promise<Result> {
  const ctx = pick(upstream, method, origins);
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
