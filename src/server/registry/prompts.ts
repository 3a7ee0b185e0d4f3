/**
 * Prompts (server/prompts). Arguments are declared as a list, or as a Standard Schema object
 * whose properties become the advertised arguments and whose validator checks `prompts/get`.
 */
import { ErrorCode, McpError } from '../../protocol/errors.js';
import type { GetPromptResult, Icon, Meta, Prompt, PromptArgument } from '../../protocol/types.js';
import { compileSchema, isStandardSchema, type CompiledSchema, type InferOutput } from '../../schema/validator.js';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { HandlerContext } from '../context.js';
import type { Listed } from './list.js';
import type { CompleteHandler } from './resources.js';

export type PromptArgsInput = PromptArgument[] | StandardSchemaV1;

export interface PromptConfig<A extends PromptArgsInput | undefined = undefined> {
  title?: string;
  description?: string;
  arguments?: A;
  icons?: Icon[];
  _meta?: Meta;
  /** Completion per argument name. */
  complete?: Record<string, CompleteHandler>;
}

export type PromptHandler<A> = (
  args: A extends StandardSchemaV1 ? InferOutput<A> : Record<string, string>,
  ctx: HandlerContext,
) => GetPromptResult | Promise<GetPromptResult>;

export class PromptEntry implements Listed<Prompt> {
  enabled = true;
  private readonly args: PromptArgument[] | undefined;
  private readonly schema: CompiledSchema | undefined;

  constructor(
    public name: string,
    public config: PromptConfig<PromptArgsInput | undefined>,
    public handler: PromptHandler<PromptArgsInput | undefined>,
  ) {
    const a = config.arguments;
    if (a && isStandardSchema(a)) {
      this.schema = compileSchema(a);
      const js = this.schema.jsonSchema;
      const required = new Set(js.required ?? []);
      this.args = Object.entries(js.properties ?? {}).map(([name, p]) => {
        const arg: PromptArgument = { name, required: required.has(name) };
        const d = (p as { description?: unknown }).description;
        if (typeof d === 'string') arg.description = d;
        return arg;
      });
    } else {
      this.args = a as PromptArgument[] | undefined;
    }
  }

  wire(): Prompt {
    const c = this.config;
    const p: Prompt = { name: this.name };
    if (c.title !== undefined) p.title = c.title;
    if (c.description !== undefined) p.description = c.description;
    if (this.args) p.arguments = this.args;
    if (c.icons) p.icons = c.icons;
    if (c._meta) p._meta = c._meta;
    return p;
  }

  async get(args: Record<string, string> | undefined, ctx: HandlerContext): Promise<GetPromptResult> {
    let value: unknown = args ?? {};
    if (this.schema) {
      let r = this.schema.validate(value);
      if (r instanceof Promise) r = await r;
      if (!r.ok) throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for prompt ${this.name}: ${r.message}`);
      value = r.value;
    } else if (this.args) {
      for (const a of this.args) {
        if (a.required && typeof (value as Record<string, unknown>)[a.name] !== 'string') {
          throw new McpError(ErrorCode.InvalidParams, `Missing required argument "${a.name}" for prompt ${this.name}`);
        }
      }
    }
    return this.handler(value as Record<string, string>, ctx);
  }
}
