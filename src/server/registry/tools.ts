/**
 * Tools (server/tools). Schemas are compiled once at registration; the wire form of each tool
 * is built once and cached by the registry, so `tools/list` is an array slice.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ErrorCode, McpError, UrlElicitationRequiredError } from '../../protocol/errors.js';
import type { CallToolResult, Icon, Meta, ObjectJsonSchema, Tool, ToolAnnotations, ToolExecution } from '../../protocol/types.js';
import { compileSchema, type CompiledSchema, type InferInput, type SchemaInput } from '../../schema/validator.js';
import type { HandlerContext } from '../context.js';
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
  _meta?: Meta;
}

export type ToolResultFor<O> = O extends StandardSchemaV1
  ? CallToolResult & { structuredContent?: StandardSchemaV1.InferInput<O> & Record<string, unknown> }
  : CallToolResult;

export type ToolHandler<I, O> = (args: I extends undefined ? Record<string, unknown> : InferInput<I>, ctx: HandlerContext) => ToolResultFor<O> | Promise<ToolResultFor<O>>;

const EMPTY_OBJECT_SCHEMA: ObjectJsonSchema = { type: 'object', properties: {} };

export class ToolEntry implements Listed<Tool> {
  enabled = true;
  input: CompiledSchema | undefined;
  output: CompiledSchema | undefined;

  constructor(
    public name: string,
    public config: ToolConfig<SchemaInput | undefined, SchemaInput | undefined>,
    public handler: ToolHandler<SchemaInput | undefined, SchemaInput | undefined>,
  ) {
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
    let result: CallToolResult;
    try {
      result = await this.handler(value as Record<string, unknown>, ctx);
    } catch (e) {
      if (e instanceof UrlElicitationRequiredError) throw e;
      if (ctx.signal.aborted) throw e;
      return errorResult(e instanceof Error ? e.message : String(e));
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

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

export function unknownTool(name: unknown): McpError {
  return new McpError(ErrorCode.InvalidParams, `Unknown tool: ${String(name)}`);
}
