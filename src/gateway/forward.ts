/**
 * The gateway's request handlers, installed as one middleware on its McpServer: lists merged
 * across upstreams page by page (the cursor names the upstream and its own cursor), calls
 * routed by namespace or URI, progress and cancellation carried through. Methods not named here
 * (ping, initialize, logging, tasks…) go on to the server's own handlers.
 */
import type { RequestOptions } from '../engine/outbound.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import type { Meta, Result, ServerCapabilities } from '../protocol/types.js';
import type { Call, HandlerContext, Next } from '../server/index.js';
import { decodeCursor, encodeCursor, type Names } from './names.js';
import type { Upstream } from './upstream.js';

/** What the handlers need of the gateway. */
export interface ForwardHost {
  readonly names: Names;
  /** Upstreams in config order. */
  readonly order: readonly string[];
  upstream(name: string): Upstream<HandlerContext> | undefined;
  /** A listing skipped an upstream that failed (the others are still listed). */
  onerror(error: Error): void;
  /** A client subscribed to / unsubscribed from a gateway URI. */
  subscription(call: Call, uri: string, on: boolean): Promise<void>;
}

type ListKind = { method: string; field: string; cap: keyof ServerCapabilities; rename: (host: ForwardHost, upstream: string, item: Record<string, unknown>) => Record<string, unknown> };

const LISTS: Record<string, ListKind> = {
  'tools/list': { method: 'tools/list', field: 'tools', cap: 'tools', rename: (h, u, t) => ({ ...t, name: h.names.name(u, t.name as string) }) },
  'prompts/list': { method: 'prompts/list', field: 'prompts', cap: 'prompts', rename: (h, u, p) => ({ ...p, name: h.names.name(u, p.name as string) }) },
  'resources/list': { method: 'resources/list', field: 'resources', cap: 'resources', rename: (h, u, r) => ({ ...r, uri: h.names.uri(u, r.uri as string) }) },
  'resources/templates/list': {
    method: 'resources/templates/list',
    field: 'resourceTemplates',
    cap: 'resources',
    rename: (h, u, t) => ({ ...t, uriTemplate: h.names.uri(u, t.uriTemplate as string) }),
  },
};

/** One page of a merged list: the next upstream page that has items (empty pages are skipped). */
async function list(host: ForwardHost, kind: ListKind, call: Call): Promise<Result> {
  const at = decodeCursor(call.params.cursor);
  let i = at === undefined ? 0 : host.order.indexOf(at.upstream);
  if (i < 0) throw new McpError(ErrorCode.InvalidParams, 'Invalid or expired cursor');
  let cursor = at?.cursor;
  for (; i < host.order.length; i++, cursor = undefined) {
    const name = host.order[i]!;
    const up = host.upstream(name)!;
    // A down upstream lists nothing; it sends list_changed when it is back.
    if (up.state !== 'ready' || !up.capabilities?.[kind.cap]) continue;
    let r: Record<string, unknown>;
    try {
      r = await up.request<Record<string, unknown>>(kind.method, cursor === undefined ? undefined : { cursor }, { signal: call.signal });
    } catch (e) {
      if (call.signal.aborted) throw e;
      host.onerror(new Error(`${kind.method} of upstream ${name} failed: ${(e as Error).message}`));
      continue;
    }
    const items = Array.isArray(r[kind.field]) ? (r[kind.field] as Record<string, unknown>[]).map((x) => kind.rename(host, name, x)) : [];
    const upNext = typeof r.nextCursor === 'string' ? r.nextCursor : undefined;
    const next = upNext !== undefined ? encodeCursor({ upstream: name, cursor: upNext }) : i + 1 < host.order.length ? encodeCursor({ upstream: host.order[i + 1]! }) : undefined;
    if (items.length === 0 && next !== undefined) {
      if (upNext !== undefined) {
        // Same upstream, its next page.
        i--;
        cursor = upNext;
        continue;
      }
      continue;
    }
    return next === undefined ? { [kind.field]: items } : { [kind.field]: items, nextCursor: next };
  }
  return { [kind.field]: [] };
}

function stringParam(call: Call, key: string): string {
  const v = call.params[key];
  if (typeof v !== 'string') throw new McpError(ErrorCode.InvalidParams, `params.${key} must be a string`);
  return v;
}

/**
 * Options of a forwarded request: the call's signal (client cancels → upstream cancelled) and,
 * when the client asked for progress, a progress handler relaying it (the upstream gets its
 * own token: tokens are per connection, basic/utilities/progress).
 */
function forwardOptions(call: Call): { params: Record<string, unknown>; options: RequestOptions } {
  const meta = call.meta as (Meta & { progressToken?: unknown }) | undefined;
  const options: RequestOptions = { signal: call.signal };
  let params = call.params;
  if (meta?.progressToken !== undefined) {
    const { progressToken: _t, ...rest } = meta;
    params = { ...params, _meta: rest };
    const ctx = call.context;
    if (ctx) options.onprogress = (p) => void ctx.progress(p.progress, p.total, p.message).catch(() => {});
  }
  return { params, options };
}

function route(host: ForwardHost, upstream: string): Upstream<HandlerContext> {
  const up = host.upstream(upstream);
  if (!up) throw new McpError(ErrorCode.InvalidParams, `Unknown upstream: ${upstream}`);
  return up;
}

async function callTool(host: ForwardHost, call: Call): Promise<Result> {
  const name = stringParam(call, 'name');
  const target = host.names.split(name);
  if (!target) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  if (call.params.task !== undefined) throw new McpError(ErrorCode.MethodNotFound, `The gateway does not run task-augmented calls (tool ${name})`);
  const { params, options } = forwardOptions(call);
  const r = await route(host, target.upstream).request<Record<string, unknown>>('tools/call', { ...params, name: target.name }, options, call.context);
  if (r.content === undefined) return r;
  const content = host.names.content(target.upstream, r.content);
  return content === r.content ? r : { ...r, content };
}

async function getPrompt(host: ForwardHost, call: Call): Promise<Result> {
  const name = stringParam(call, 'name');
  const target = host.names.split(name);
  if (!target) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
  const { params, options } = forwardOptions(call);
  const r = await route(host, target.upstream).request<Record<string, unknown>>('prompts/get', { ...params, name: target.name }, options, call.context);
  if (!Array.isArray(r.messages)) return r;
  return { ...r, messages: (r.messages as Record<string, unknown>[]).map((m) => (m.content === undefined ? m : { ...m, content: host.names.content(target.upstream, [m.content])[0] })) };
}

function rewriteContents(host: ForwardHost, upstream: string, r: Record<string, unknown>): Result {
  if (!Array.isArray(r.contents)) return r;
  return { ...r, contents: (r.contents as Record<string, unknown>[]).map((c) => (typeof c.uri === 'string' ? { ...c, uri: host.names.uri(upstream, c.uri) } : c)) };
}

async function readResource(host: ForwardHost, call: Call): Promise<Result> {
  const uri = stringParam(call, 'uri');
  const { params, options } = forwardOptions(call);
  const target = host.names.splitUri(uri);
  if (target) {
    const r = await route(host, target.upstream).request<Record<string, unknown>>('resources/read', { ...params, uri: target.uri }, options, call.context);
    return rewriteContents(host, target.upstream, r);
  }
  // A passthrough URI: the first upstream that has it.
  let last: unknown;
  for (const name of host.names.passthrough()) {
    const up = host.upstream(name)!;
    if (up.state !== 'ready' || !up.capabilities?.resources) continue;
    try {
      return await up.request('resources/read', params, options, call.context);
    } catch (e) {
      last = e;
      if (call.signal.aborted) throw e;
    }
  }
  if (last instanceof McpError && last.code !== ErrorCode.ResourceNotFound && last.code !== ErrorCode.InvalidParams) throw last;
  throw new McpError(ErrorCode.ResourceNotFound, `Resource not found: ${uri}`, { uri });
}

async function complete(host: ForwardHost, call: Call): Promise<Result> {
  const ref = call.params.ref as Record<string, unknown> | undefined;
  if (!ref || typeof ref !== 'object') throw new McpError(ErrorCode.InvalidParams, 'params.ref must be an object');
  let upstream: string | undefined;
  let inner: Record<string, unknown> | undefined;
  if (ref.type === 'ref/prompt' && typeof ref.name === 'string') {
    const t = host.names.split(ref.name);
    if (t) [upstream, inner] = [t.upstream, { ...ref, name: t.name }];
  } else if (ref.type === 'ref/resource' && typeof ref.uri === 'string') {
    const t = host.names.splitUri(ref.uri);
    if (t) [upstream, inner] = [t.upstream, { ...ref, uri: t.uri }];
    else [upstream, inner] = [host.names.passthrough()[0], ref];
  }
  if (upstream === undefined || inner === undefined) throw new McpError(ErrorCode.InvalidParams, 'params.ref names no upstream prompt or resource');
  return route(host, upstream).request('completion/complete', { ...call.params, ref: inner }, { signal: call.signal }, call.context);
}

/** The middleware: gateway methods here, everything else to the server's own handlers. */
export function gatewayMiddleware(host: ForwardHost): (call: Call, next: Next) => Promise<Result> {
  return async (call, next) => {
    const l = LISTS[call.method];
    if (l) return list(host, l, call);
    switch (call.method) {
      case 'tools/call':
        return callTool(host, call);
      case 'prompts/get':
        return getPrompt(host, call);
      case 'resources/read':
        return readResource(host, call);
      case 'completion/complete':
        return complete(host, call);
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        // Forwarded first: a subscription the upstream refused is not recorded.
        await host.subscription(call, stringParam(call, 'uri'), call.method === 'resources/subscribe');
        return next();
      }
      default:
        return next();
    }
  };
}
