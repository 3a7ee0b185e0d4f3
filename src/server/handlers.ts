/**
 * The server's request handler table: one static function per method, shared by every
 * session (no per-session closures). Params are checked by hand — cheap typeof checks —
 * and bad params are -32602 with a message naming the field.
 */
import type { RequestContext } from '../engine/context.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import type { CallToolRequestParams, ClientCapabilities, CompleteResult, Implementation, LoggingLevel, Result } from '../protocol/types.js';
import { negotiateVersion } from '../protocol/versions.js';
import { HandlerContext } from './context.js';
import { page } from './pagination.js';
import { resourceNotFound } from './registry/resources.js';
import { unknownTool } from './registry/tools.js';
import type { ServerSession } from './session.js';
import { LOG_LEVELS } from './session.js';
import { callAsTask, taskHandlers } from './task-runner.js';
import { modernToolCall } from './modern/tasks.js';

export type RequestHandler = (session: ServerSession, params: Record<string, unknown>, ctx: RequestContext) => Result | Promise<Result>;

const EMPTY: Result = Object.freeze({}) as Result;

function invalid(message: string): McpError {
  return new McpError(ErrorCode.InvalidParams, message);
}

function str(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  if (typeof v !== 'string') throw invalid(`params.${key} must be a string`);
  return v;
}

function obj(params: Record<string, unknown>, key: string, optional = false): Record<string, unknown> | undefined {
  const v = params[key];
  if (v === undefined && optional) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`params.${key} must be an object`);
  return v as Record<string, unknown>;
}

/** UTF-8 size of what initialize keeps, as JSON (exact only when it could matter). */
function stateBytes(caps: unknown, info: unknown, max: number): number {
  const json = JSON.stringify([caps, info]) ?? '';
  // UTF-16 length ≤ UTF-8 bytes ≤ 3× it: only measure exactly near the limit.
  return json.length * 3 <= max ? json.length : Buffer.byteLength(json);
}

const MAX_COMPLETIONS = 100; // server/utilities/completion: at most 100 values per response

export const REQUEST_HANDLERS: Record<string, RequestHandler | undefined> = {
  __proto__: null as never,

  ping: () => EMPTY,

  initialize(session, params) {
    if (session.protocolVersion !== undefined) throw new McpError(ErrorCode.InvalidRequest, 'Session already initialized');
    const requested = str(params, 'protocolVersion');
    const caps = (obj(params, 'capabilities', true) ?? {}) as ClientCapabilities;
    const info = obj(params, 'clientInfo', true) as Implementation | undefined;
    // The session keeps clientInfo and capabilities for its whole life (and in the SessionStore):
    // bound them, or a few oversized initializes exhaust the heap (docs/limits.md).
    const max = session.server.limits.maxClientStateBytes;
    if (max !== Infinity) {
      const size = stateBytes(caps, info, max);
      if (size > max) throw invalid(`clientInfo and capabilities take ${size} bytes as JSON; this server accepts at most ${max}`);
    }
    const version = negotiateVersion(requested);
    session.accept(version, caps, info ?? { name: 'unknown', version: '0' });
    const server = session.server;
    const result: Result = { protocolVersion: version, capabilities: server.capabilities(), serverInfo: server.info };
    if (server.options.instructions !== undefined) result.instructions = server.options.instructions;
    return result;
  },

  'logging/setLevel'(session, params) {
    const level = str(params, 'level') as LoggingLevel;
    if (!LOG_LEVELS.includes(level)) throw invalid(`Unknown logging level: ${level}`);
    session.setLogLevel(level);
    return EMPTY;
  },

  'tools/list'(session, params) {
    return session.server.tools.listResult('tools', params.cursor, session.server.pageSize);
  },

  'tools/call'(session, params, ctx) {
    const p = params as unknown as CallToolRequestParams;
    if (typeof p.name !== 'string') throw invalid('params.name must be a string');
    if (p.arguments !== undefined && (p.arguments === null || typeof p.arguments !== 'object' || Array.isArray(p.arguments))) {
      throw invalid('params.arguments must be an object');
    }
    const tool = session.server.tools.get(p.name);
    if (!tool) throw unknownTool(p.name);
    const modern = session.modernOf(ctx);
    if (modern) {
      // 2026-07-28: tasks are the extension's, server-directed; the legacy `task` param is ignored.
      const task = modernToolCall(session, tool, p, ctx, modern.envelope);
      if (task) return task;
      return tool.call(p.arguments, new HandlerContext(session, ctx));
    }
    // basic/utilities/tasks#tool-level-negotiation
    if (p.task !== undefined) {
      if (tool.taskSupport === 'forbidden') throw new McpError(ErrorCode.MethodNotFound, `Tool ${p.name} does not support task-augmented calls`);
      return callAsTask(session, tool, p, ctx);
    }
    if (tool.taskSupport === 'required') throw new McpError(ErrorCode.MethodNotFound, `Tool ${p.name} must be called as a task`);
    return tool.call(p.arguments, new HandlerContext(session, ctx));
  },

  'resources/list': async (session, params, ctx) => {
    const server = session.server;
    const dynamic = server.templateListers();
    // Without template listers the listing is static: shared like the other lists.
    if (dynamic.length === 0) return server.resources.listResult('resources', params.cursor, server.pageSize);
    let all = server.resources.list();
    {
      const hctx = new HandlerContext(session, ctx);
      const extra = await Promise.all(dynamic.map((t) => t(hctx)));
      all = all.concat(...extra);
    }
    const { items, nextCursor } = page(all, params.cursor, server.pageSize, server.resources.version + server.templates.version);
    return nextCursor === undefined ? { resources: items } : { resources: items, nextCursor };
  },

  'resources/templates/list'(session, params) {
    return session.server.templates.listResult('resourceTemplates', params.cursor, session.server.pageSize);
  },

  'resources/read'(session, params, ctx) {
    const uri = str(params, 'uri');
    const server = session.server;
    const fixed = server.resources.get(uri);
    if (fixed) return fixed.read(uri, new HandlerContext(session, ctx));
    for (const t of server.templates.values()) {
      if (!t.enabled) continue;
      const vars = t.template.match(uri);
      if (vars) return t.read(uri, vars, new HandlerContext(session, ctx));
    }
    throw resourceNotFound(uri);
  },

  'resources/subscribe'(session, params) {
    session.server.subscribe(session, str(params, 'uri'));
    return EMPTY;
  },

  'resources/unsubscribe'(session, params) {
    session.server.unsubscribe(session, str(params, 'uri'));
    return EMPTY;
  },

  'prompts/list'(session, params) {
    return session.server.prompts.listResult('prompts', params.cursor, session.server.pageSize);
  },

  'prompts/get'(session, params, ctx) {
    const name = str(params, 'name');
    const prompt = session.server.prompts.get(name);
    if (!prompt) throw invalid(`Unknown prompt: ${name}`);
    return prompt.get(obj(params, 'arguments', true) as Record<string, string> | undefined, new HandlerContext(session, ctx));
  },

  'completion/complete': async (session, params) => {
    const ref = obj(params, 'ref')!;
    const arg = obj(params, 'argument')!;
    const name = str(arg, 'name');
    const value = typeof arg.value === 'string' ? arg.value : '';
    const context = (obj(params, 'context', true) ?? {}) as { arguments?: Record<string, string> };
    const server = session.server;
    let complete;
    if (ref.type === 'ref/prompt') {
      const prompt = server.prompts.get(str(ref, 'name'));
      if (!prompt) throw invalid(`Unknown prompt: ${String(ref.name)}`);
      complete = prompt.config.complete?.[name];
    } else if (ref.type === 'ref/resource') {
      const uri = str(ref, 'uri');
      const t = [...server.templates.values()].find((e) => e.enabled && e.template.template === uri);
      if (!t) throw resourceNotFound(uri);
      complete = t.options.complete?.[name];
    } else {
      throw invalid('params.ref.type must be ref/prompt or ref/resource');
    }
    const values = complete ? await complete(value, context) : [];
    const result: CompleteResult = { completion: { values: values.slice(0, MAX_COMPLETIONS), total: values.length, hasMore: values.length > MAX_COMPLETIONS } };
    return result;
  },

  ...taskHandlers,
};
