/**
 * Tools (server/tools): names, schemas, and calls with arguments generated from each tool's
 * inputSchema. Only tools annotated readOnlyHint are called unless --call-tools says all:
 * calling an unknown server's tools could change something.
 */
import type { Client } from '../../client/index.js';
import { ErlmcpError, McpError } from '../../protocol/errors.js';
import { describeError, fail, info, pass, skip, verdict, type Outcome } from './checks.js';
import type { CheckContext } from './context.js';
import { checkToolSchema, sampleValue } from './schema.js';

/** server/tools#tool-names (2025-11-25): 1–128 characters of A–Z, a–z, 0–9, _, -, and . */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const MAX_CALLS = 25;
const CONTENT_TYPES = new Set(['text', 'image', 'audio', 'resource_link', 'resource']);

/** A tool that the probe may call: read-only, with arguments that validate. */
export interface CallableTool {
  name: string;
  args: Record<string, unknown>;
}

export async function toolChecks(ctx: CheckContext, client: Client, tools: Record<string, unknown>[]): Promise<CallableTool | undefined> {
  if (client.serverCapabilities?.tools === undefined) return undefined;
  await ctx.rec.check({ id: 'tools.names', level: 'SHOULD', spec: 'server/tools#tool-names', title: 'tool names are unique, 1–128 characters of A-Z a-z 0-9 _ - .' }, () => {
    const bad = tools.map((t) => t.name).filter((n) => typeof n !== 'string' || !TOOL_NAME.test(n));
    const all = tools.map((t) => String(t.name));
    const dup = all.filter((n, i) => all.indexOf(n) !== i);
    if (bad.length || dup.length) return fail([bad.length ? `invalid: ${bad.map((n) => JSON.stringify(n)).join(', ')}` : '', dup.length ? `duplicated: ${dup.join(', ')}` : ''].filter(Boolean).join('; '));
    return pass(`${tools.length} name(s)`);
  });

  const inputs = new Map<string, (v: unknown) => string | undefined>();
  const outputs = new Map<string, (v: unknown) => string | undefined>();
  await ctx.rec.check({ id: 'tools.input-schema', level: 'MUST', spec: 'server/tools#tool', title: 'every inputSchema is a valid JSON Schema (2020-12 by default) of type "object"' }, () => {
    const problems: string[] = [];
    for (const t of tools) {
      const v = checkToolSchema(t.inputSchema);
      if (v.ok) inputs.set(String(t.name), v.validate);
      else problems.push(`${String(t.name)}: ${v.problem}`);
    }
    return problems.length ? fail(problems.join('; ')) : pass(`${tools.length} schema(s) compile`);
  });
  const withOutput = tools.filter((t) => t.outputSchema !== undefined);
  await ctx.rec.check({ id: 'tools.output-schema', level: 'MUST', spec: 'server/tools#output-schema', title: 'every outputSchema is a valid JSON Schema of type "object"' }, () => {
    if (!withOutput.length) return skip('no tool declares an outputSchema');
    const problems: string[] = [];
    for (const t of withOutput) {
      const v = checkToolSchema(t.outputSchema);
      if (v.ok) outputs.set(String(t.name), v.validate);
      else problems.push(`${String(t.name)}: ${v.problem}`);
    }
    return problems.length ? fail(problems.join('; ')) : pass(`${withOutput.length} schema(s) compile`);
  });

  const eligible = tools.filter((t) => ctx.opts.callTools || (t.annotations as { readOnlyHint?: unknown } | undefined)?.readOnlyHint === true);
  let probeTool: CallableTool | undefined;
  if (!eligible.length) {
    ctx.rec.skipAll([{ id: 'tools.call', level: 'MUST', spec: 'server/tools#calling-tools', title: 'tools/call answers with a CallToolResult' }], ctx.opts.callTools ? 'the server lists no tools' : 'no tool is annotated readOnlyHint (use --call-tools to call every tool)');
  }
  for (const t of eligible.slice(0, MAX_CALLS)) {
    const name = String(t.name);
    const args = sampleValue(t.inputSchema) as Record<string, unknown>;
    // A client MUST call such a tool as a task (basic/utilities/tasks#tool-level-negotiation); a plain call is refused.
    if ((t.execution as { taskSupport?: unknown } | undefined)?.taskSupport === 'required') {
      await ctx.rec.check({ id: `tools.call:${name}`, level: 'MUST', spec: 'server/tools#calling-tools', title: `tools/call ${name} answers a CallToolResult` }, () => skip('execution.taskSupport is "required": the tool is called only as a task'));
      continue;
    }
    await ctx.rec.check(
      { id: `tools.call:${name}`, level: 'MUST', spec: 'server/tools#calling-tools; server/tools#output-schema', title: `tools/call ${name} answers a CallToolResult${outputs.has(name) ? ' whose structuredContent conforms to the outputSchema' : ''}` },
      async (): Promise<Outcome> => {
        const argProblem = inputs.get(name)?.(args);
        let r: Record<string, unknown>;
        try {
          r = (await client.callTool({ name, arguments: args })) as unknown as Record<string, unknown>;
        } catch (e) {
          // Arguments we could not make valid may be refused; the server's answer is then fine.
          if (argProblem && e instanceof McpError) return info(`generated arguments do not fit the schema (${argProblem}); refused: ${describeError(e)}`);
          // A tool may legitimately run longer than our limit; that is no protocol violation.
          if (e instanceof ErlmcpError && e.code === 'ERR_TIMEOUT') return info(`no answer within ${ctx.opts.timeoutMs} ms with ${JSON.stringify(args)}`);
          throw e;
        }
        if (!Array.isArray(r.content)) return fail('content is not an array');
        const badBlock = (r.content as Record<string, unknown>[]).find((b) => !CONTENT_TYPES.has(String(b?.type)));
        if (badBlock) return fail(`content block of unknown type ${JSON.stringify(badBlock?.type)}`);
        if (r.isError === true) return info(`answered isError with ${JSON.stringify(args)}${argProblem ? ` (arguments did not fit: ${argProblem})` : ''}: ${JSON.stringify(r.content).slice(0, 200)}`);
        const out = outputs.get(name);
        if (out) {
          if (r.structuredContent === undefined) return fail('the tool has an outputSchema but the result has no structuredContent');
          const problem = out(r.structuredContent);
          if (problem) return fail(`structuredContent does not conform: ${problem}`);
        }
        if (!argProblem && !probeTool && (t.annotations as { readOnlyHint?: unknown } | undefined)?.readOnlyHint === true) probeTool = { name, args };
        return pass(`${(r.content as unknown[]).length} content block(s)${out ? ', structuredContent conforms' : ''}`);
      },
    );
  }

  await ctx.rec.check({ id: 'tools.unknown', level: 'SHOULD', spec: 'server/tools#error-handling', title: 'calling an unknown tool is a JSON-RPC protocol error (-32602)' }, async () => {
    try {
      const r = await client.callTool({ name: 'erlmcp-validate-no-such-tool', arguments: {} });
      return fail(`answered a result${r.isError ? ' with isError' : ''} instead of a protocol error`);
    } catch (e) {
      if (!(e instanceof McpError)) throw e;
      return verdict(e.code === -32602, describeError(e));
    }
  });
  return probeTool;
}
