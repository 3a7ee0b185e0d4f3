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
  async call(args: Record<string, unknown> | undefined, ctx: HandlerContext): Promise<CallToolResult> {
    let value: unknown = args ?? {};
    if (this.input) {
      let r = this.input.validate(value);
      if (r instanceof Promise) r = await r;
      if (!r.ok) return errorResult(`Invalid arguments for tool ${this.name}: ${r.message}`);
      value = r.value;
    }
    const limits = ctx.session.server.limits;
    const gate = (this.gate ??= new Gate(this.name, this.config.concurrency ?? limits.toolConcurrency, this.config.queue ?? limits.toolQueue));
    const wait = gate.enter(() => ctx.signal);
    if (wait) await wait;
    try {
      return await this.run(() => this.handler(value as Record<string, unknown>, ctx), ctx, ctx.taskId === undefined ? (this.config.timeoutMs ?? limits.toolTimeoutMs) : Infinity);
    } finally {
      gate.leave();
    }
  }

  /**
   * Runs the part of a call a handler made a task (`ctx.runAsTask()`), with the outcomes of a
   * whole call: a thrown error is a tool error, a malformed result a protocol error.
   */
  runBody(body: () => CallToolResult | Promise<CallToolResult>, ctx: HandlerContext): Promise<CallToolResult> {
    return this.run(body, ctx, Infinity);
  }

  private async run(body: () => CallToolResult | Promise<CallToolResult>, ctx: HandlerContext, timeoutMs: number): Promise<CallToolResult> {
    let result: CallToolResult;
    let timedOut = false;
    try {
      const pending = body();
      if (timeoutMs === Infinity || !(pending instanceof Promise)) {
        result = await pending;
      } else {
        // The handler's signal aborts at the deadline; the caller is answered then even if the
        // handler ignores its signal (its eventual result is dropped).
        result = await new Promise<CallToolResult>((resolve, reject) => {
          const cancel = afterDeadline(timeoutMs, () => {
            timedOut = true;
            const e = new McpError(ErrorCode.RequestTimeout, `Tool ${this.name} timed out after ${timeoutMs} ms`, { reason: 'tool_timeout', timeoutMs });
            ctx.abort(e);
            reject(e);
          });
          pending.then(
            (r) => (cancel(), resolve(r)),
            (e: unknown) => (cancel(), reject(e)),
          );
        });
      }
    } catch (e) {
      // Protocol outcomes, not tool failures: URL elicitation required, an MRTR input round,
      // a client capability the request lacks (2026-07-28 -32021).
      if (timedOut || e instanceof UrlElicitationRequiredError || e instanceof InputRequiredSignal || e instanceof IsolationError) throw e;
      if (e instanceof McpError && e.code === ModernErrorCode.MissingRequiredClientCapability) throw e;
      if (ctx.signal.aborted) throw e;
      return errorResult(e instanceof Error ? e.message : String(e));
    }
    // server/tools#tool-result: content is required; anything else is not a CallToolResult.
    if (typeof result !== 'object' || result === null || !Array.isArray(result.content)) {
      throw new McpError(ErrorCode.InternalError, `Tool ${this.name} returned an invalid result: ${describeBadResult(result)}`);
    }
    if (this.output && !result.isError) {
      if (result.structuredContent === undefined) {
        return errorResult(`Tool ${this.name} has an output schema but returned no structuredContent`);
      }
      let r = this.output.validate(result.structuredContent);
      if (r instanceof Promise) r = await r;
      if (!r.ok) return errorResult(`Tool ${this.name} returned structuredContent that does not match its output schema: ${r.message}`);
    }
    return result;
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
