/**
 * Tools (server/tools). Schemas are compiled once at registration; the wire form of each tool
 * is built once and cached by the registry, so `tools/list` is an array slice.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ErrorCode, McpError, UrlElicitationRequiredError } from '../../protocol/errors.js';
import { ModernErrorCode } from '../../protocol/eras.js';
import { Gate } from '../limits.js';
import { InputRequiredSignal } from '../modern/input-required.js';
import { afterDeadline } from '../tool-deadlines.js';
import type { CallToolResult, Icon, Meta, ObjectJsonSchema, Tool, ToolAnnotations, ToolExecution } from '../../protocol/types.js';
import { compileSchema, type CompiledSchema, type InferInput, type InferOutput, type SchemaInput } from '../../schema/validator.js';
import type { HandlerContext } from '../context.js';
import { resolveHandler } from '../isolate/handler.js';
import { IsolationError } from '../isolate/pool.js';
import type { IsolateConfig } from '../isolate/types.js';
import type { Listed } from './list.js';

export interface ToolConfig<I extends SchemaInput | undefined = undefined, O extends SchemaInput | undefined = undefined> {
  title?: string;
  description?: string;
  /** A Standard Schema (zod 4, valibot…) or a JSON Schema object (sent verbatim). */
  inputSchema?: I;
  outputSchema?: O;
  annotations?: ToolAnnotations;
  icons?: Icon[];
  execution?: ToolExecution;
  /**
   * Where a 2026-07-28 task starts (tasks extension): 'call' (default) runs the whole call as
   * the task; 'handler' runs the handler on the request — its asks for input are
   * multi-round-trip rounds — and makes a task of what it passes to `ctx.runAsTask()`.
   */
  taskStart?: 'call' | 'handler';
  _meta?: Meta;
  /** Time limit of one call in ms: past it the handler's signal aborts and the call is answered -32001. Default: the server's `limits.toolTimeoutMs` (5 min). */
  timeoutMs?: number;
  /** Calls of this tool running at once in this process. Default: the server's `limits.toolConcurrency` (256). */
  concurrency?: number;
  /** Calls waiting for a slot; past it -32000 `tool_busy`. Default: the server's `limits.toolQueue` (1024). */
  queue?: number;
  /**
   * Run the handler on a worker thread (docs/isolation.md): the export of a module, given
   * instead of a handler. A busy loop or a crash in it then stalls no other call.
   */
  isolate?: IsolateConfig;
}

export type ToolResultFor<O> = O extends StandardSchemaV1
  ? CallToolResult & { structuredContent?: InferInput<O> & Record<string, unknown> }
  : CallToolResult;

export type ToolHandler<I, O> = (args: I extends undefined ? Record<string, unknown> : InferOutput<I>, ctx: HandlerContext) => ToolResultFor<O> | Promise<ToolResultFor<O>>;

const EMPTY_OBJECT_SCHEMA: ObjectJsonSchema = { type: 'object', properties: {} };

export class ToolEntry implements Listed<Tool> {
  enabled = true;
  input: CompiledSchema | undefined;
  output: CompiledSchema | undefined;
  /** Concurrency gate, made on the first call from the tool's or the server's limits. */
  private gate: Gate | undefined;
  handler: ToolHandler<SchemaInput | undefined, SchemaInput | undefined>;

  constructor(
    public name: string,
    public config: ToolConfig<SchemaInput | undefined, SchemaInput | undefined>,
    handler?: ToolHandler<SchemaInput | undefined, SchemaInput | undefined>,
  ) {
    this.handler = resolveHandler(name, config.isolate, handler) as ToolHandler<SchemaInput | undefined, SchemaInput | undefined>;
    this.compile();
  }

  compile(): void {
    this.input = this.config.inputSchema ? compileSchema(this.config.inputSchema, 'input') : undefined;
    this.output = this.config.outputSchema ? compileSchema(this.config.outputSchema, 'output') : undefined;
  }

  get taskSupport(): 'forbidden' | 'optional' | 'required' {
    return this.config.execution?.taskSupport ?? 'forbidden';
  }

  wire(): Tool {
    const c = this.config;
    const t: Tool = { name: this.name, inputSchema: this.input?.jsonSchema ?? EMPTY_OBJECT_SCHEMA };
    if (c.title !== undefined) t.title = c.title;
    if (c.description !== undefined) t.description = c.description;
    if (this.output) t.outputSchema = this.output.jsonSchema;
    if (c.annotations) t.annotations = c.annotations;
    if (c.icons) t.icons = c.icons;
    if (c.execution) t.execution = c.execution;
    if (c._meta) t._meta = c._meta;
    return t;
  }

  /**
   * Runs the tool. Bad arguments and handler failures become `isError` results the model can
   * read and correct (server/tools#error-handling); only URL-elicitation-required stays a
   * protocol error, because the client must act on it.
   */
  call(args: Record<string, unknown> | undefined, ctx: HandlerContext): Promise<CallToolResult> {
    // Written with as few promises as the outcomes allow (no async functions): every promise
    // costs an async-hooks callback per call once an AsyncLocalStorage is in use (OpenTelemetry's
    // context manager on Node 20/22).
    if (!this.input) return this.enter(args ?? {}, ctx);
    try {
      const r = this.input.validate(args ?? {});
      if (r instanceof Promise) return r.then((v) => (v.ok ? this.enter(v.value, ctx) : this.badArguments(v.message)));
      return r.ok ? this.enter(r.value, ctx) : Promise.resolve(this.badArguments(r.message));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private badArguments(message: string): CallToolResult {
    return errorResult(`Invalid arguments for tool ${this.name}: ${message}`);
  }

  /** Passes the tool's concurrency gate (waiting in its queue if full), then runs the handler. */
  private enter(value: unknown, ctx: HandlerContext): Promise<CallToolResult> {
    const limits = ctx.session.server.limits;
    const gate = (this.gate ??= new Gate(this.name, this.config.concurrency ?? limits.toolConcurrency, this.config.queue ?? limits.toolQueue));
    const timeoutMs = ctx.taskId === undefined ? (this.config.timeoutMs ?? limits.toolTimeoutMs) : Infinity;
    const go = (): Promise<CallToolResult> => this.run(() => this.handler(value as Record<string, unknown>, ctx), ctx, timeoutMs, () => gate.leave());
    let wait: Promise<void> | undefined;
    try {
      wait = gate.enter(() => ctx.signal);
    } catch (e) {
      return Promise.reject(e);
    }
    // A refused or aborted wait never entered the gate: nothing to leave.
    return wait ? wait.then(go) : go();
  }

  /**
   * Runs the part of a call a handler made a task (`ctx.runAsTask()`), with the outcomes of a
   * whole call: a thrown error is a tool error, a malformed result a protocol error.
   */
  runBody(body: () => CallToolResult | Promise<CallToolResult>, ctx: HandlerContext): Promise<CallToolResult> {
    return this.run(body, ctx, Infinity);
  }

  /** Runs `body` within `timeoutMs`; `settled` runs once, when the caller's outcome is decided. */
  private run(body: () => CallToolResult | Promise<CallToolResult>, ctx: HandlerContext, timeoutMs: number, settled?: () => void): Promise<CallToolResult> {
    let pending: CallToolResult | Promise<CallToolResult>;
    try {
      pending = body();
    } catch (e) {
      settled?.();
      return settle(() => this.failed(e, ctx));
    }
    if (!(pending instanceof Promise)) {
      settled?.();
      const r = pending;
      return settle(() => this.finished(r));
    }
    if (timeoutMs === Infinity) {
      return pending.then(
        (r) => (settled?.(), this.finished(r)),
        (e: unknown) => (settled?.(), this.failed(e, ctx)),
      );
    }
    // The handler's signal aborts at the deadline; the caller is answered then even if the
    // handler ignores its signal (its eventual result is dropped).
    return new Promise<CallToolResult>((resolve, reject) => {
      let timedOut = false;
      const cancel = afterDeadline(timeoutMs, () => {
        timedOut = true;
        const e = new McpError(ErrorCode.RequestTimeout, `Tool ${this.name} timed out after ${timeoutMs} ms`, { reason: 'tool_timeout', timeoutMs });
        ctx.abort(e);
        settled?.();
        reject(e);
      });
      const outcome = (decide: () => CallToolResult | Promise<CallToolResult>): void => {
        if (timedOut) return;
        cancel();
        settled?.();
        try {
          resolve(decide());
        } catch (e) {
          reject(e);
        }
      };
      pending.then(
        (r) => outcome(() => this.finished(r)),
        (e: unknown) => outcome(() => this.failed(e, ctx)),
      );
    });
  }

  /** A handler's failure: a protocol outcome is thrown on, anything else is a tool error. */
  private failed(e: unknown, ctx: HandlerContext): CallToolResult {
    // Protocol outcomes, not tool failures: URL elicitation required, an MRTR input round,
    // a client capability the request lacks (2026-07-28 -32021).
    if (e instanceof UrlElicitationRequiredError || e instanceof InputRequiredSignal || e instanceof IsolationError) throw e;
    if (e instanceof McpError && e.code === ModernErrorCode.MissingRequiredClientCapability) throw e;
    if (ctx.signal.aborted) throw e;
    return errorResult(e instanceof Error ? e.message : String(e));
  }

  /** Checks what a handler returned and its structured content against the output schema; throws for a malformed result. */
  private finished(result: CallToolResult): CallToolResult | Promise<CallToolResult> {
    // server/tools#tool-result: content is required; anything else is not a CallToolResult.
    if (typeof result !== 'object' || result === null || !Array.isArray(result.content)) {
      throw new McpError(ErrorCode.InternalError, `Tool ${this.name} returned an invalid result: ${describeBadResult(result)}`);
    }
    if (!this.output || result.isError) return result;
    if (result.structuredContent === undefined) return errorResult(`Tool ${this.name} has an output schema but returned no structuredContent`);
    const checked = (r: { ok: true } | { ok: false; message: string }): CallToolResult =>
      r.ok ? result : errorResult(`Tool ${this.name} returned structuredContent that does not match its output schema: ${r.message}`);
    const r = this.output.validate(result.structuredContent);
    return r instanceof Promise ? r.then(checked) : checked(r);
  }
}

/** `decide()` as a promise: its value, or its throw as a rejection. */
function settle<T>(decide: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(decide());
  } catch (e) {
    return Promise.reject(e);
  }
}

function describeBadResult(result: unknown): string {
  if (result === null || typeof result !== 'object') return `expected an object with a content array, got ${result === null ? 'null' : typeof result}`;
  if (Array.isArray(result)) return 'expected an object with a content array, got an array';
  return 'content must be an array of content blocks';
}

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

export function unknownTool(name: unknown): McpError {
  return new McpError(ErrorCode.InvalidParams, `Unknown tool: ${String(name)}`);
}
