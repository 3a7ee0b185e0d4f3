/**
 * Resources, prompts, completion, logging, ping, and the JSON-RPC error codes a server gives
 * to requests it cannot serve — all through our Client, on the session the list checks opened.
 */
import type { Client } from '../../client/index.js';
import { McpError } from '../../protocol/errors.js';
import { describeError, fail, pass, skip, verdict, type Outcome } from './checks.js';
import type { CheckContext } from './context.js';
import type { Listed } from './list-checks.js';

const SAMPLES = 3;

function contentsOk(r: Record<string, unknown>): string | undefined {
  if (!Array.isArray(r.contents)) return 'contents is not an array';
  for (const c of r.contents as Record<string, unknown>[]) {
    if (typeof c?.uri !== 'string') return 'a content item has no uri';
    if (typeof c.text !== 'string' && typeof c.blob !== 'string') return `${c.uri}: neither text nor blob`;
  }
  return undefined;
}

export async function resourceChecks(ctx: CheckContext, client: Client, listed: Listed): Promise<void> {
  if (client.serverCapabilities?.resources === undefined) return;
  await ctx.rec.check({ id: 'resources.read', level: 'MUST', spec: 'server/resources#reading-resources', title: 'resources/read of a listed resource answers contents with uri and text or blob' }, async () => {
    const sample = listed.resources.slice(0, SAMPLES);
    if (!sample.length) return skip('the server lists no resources');
    const done: string[] = [];
    for (const res of sample) {
      const r = (await client.readResource(String(res.uri))) as unknown as Record<string, unknown>;
      const problem = contentsOk(r);
      if (problem) return fail(`${String(res.uri)}: ${problem}`);
      done.push(String(res.uri));
    }
    return pass(`read ${done.join(', ')}`);
  });
  await ctx.rec.check({ id: 'resources.unknown', level: 'SHOULD', spec: 'server/resources#error-handling', title: 'reading an unknown resource is an error (-32002 Resource not found)' }, async () => {
    try {
      await client.readResource('erlmcp-validate://no/such/resource');
      return fail('answered a result for a resource that does not exist');
    } catch (e) {
      if (!(e instanceof McpError)) throw e;
      return verdict(e.code === -32002 || e.code === -32602, describeError(e));
    }
  });
}

/** Arguments for a prompt: every declared argument (required or not) as a short string. */
function promptArgs(p: Record<string, unknown>): Record<string, string> {
  const args: Record<string, string> = {};
  for (const a of (Array.isArray(p.arguments) ? p.arguments : []) as { name?: unknown; required?: unknown }[]) {
    if (typeof a.name === 'string' && a.required === true) args[a.name] = 'test';
  }
  return args;
}

export async function promptChecks(ctx: CheckContext, client: Client, listed: Listed): Promise<void> {
  if (client.serverCapabilities?.prompts === undefined) return;
  await ctx.rec.check({ id: 'prompts.get', level: 'MUST', spec: 'server/prompts#getting-a-prompt', title: 'prompts/get of a listed prompt answers messages with a role and content' }, async (): Promise<Outcome> => {
    const sample = listed.prompts.slice(0, SAMPLES);
    if (!sample.length) return skip('the server lists no prompts');
    for (const p of sample) {
      const r = (await client.getPrompt(String(p.name), promptArgs(p))) as unknown as Record<string, unknown>;
      if (!Array.isArray(r.messages)) return fail(`${String(p.name)}: messages is not an array`);
      for (const m of r.messages as Record<string, unknown>[]) {
        if (m.role !== 'user' && m.role !== 'assistant') return fail(`${String(p.name)}: role ${JSON.stringify(m.role)}`);
        if (typeof (m.content as { type?: unknown } | undefined)?.type !== 'string') return fail(`${String(p.name)}: a message has no content type`);
      }
    }
    return pass(`got ${sample.map((p) => String(p.name)).join(', ')}`);
  });
}

export async function utilityChecks(ctx: CheckContext, client: Client, listed: Listed): Promise<void> {
  const caps = client.serverCapabilities ?? {};
  await ctx.rec.check({ id: 'ping', level: 'MUST', spec: 'basic/utilities/ping#behavior-requirements', title: 'ping is answered promptly with an empty result' }, async () => {
    const r = (await client.ping()) as Record<string, unknown>;
    return verdict(r !== null && typeof r === 'object' && Object.keys(r).filter((k) => k !== '_meta').length === 0, `answered ${JSON.stringify(r)}`);
  });

  if (caps.logging !== undefined) {
    await ctx.rec.check({ id: 'logging.set-level', level: 'MUST', spec: 'server/utilities/logging#setting-log-level', title: 'logging/setLevel is answered with an empty result' }, async () => {
      await client.setLoggingLevel('warning');
      return pass('level set to warning');
    });
  } else ctx.rec.skipAll([{ id: 'logging.set-level', level: 'MUST', spec: 'server/utilities/logging#capabilities', title: 'logging/setLevel is answered with an empty result' }], 'the logging capability is not declared');

  const completionDef = { id: 'completion.complete', level: 'MUST' as const, spec: 'server/utilities/completion#requesting-completions', title: 'completion/complete answers completion.values (at most 100)' };
  if (caps.completions === undefined) ctx.rec.skipAll([completionDef], 'the completions capability is not declared');
  else {
    await ctx.rec.check(completionDef, async () => {
      const prompt = listed.prompts.find((p) => Array.isArray(p.arguments) && p.arguments.length > 0);
      const template = listed.templates.find((t) => /\{[^}]+\}/.test(String(t.uriTemplate)));
      let params: Record<string, unknown>;
      if (prompt) params = { ref: { type: 'ref/prompt', name: prompt.name }, argument: { name: (prompt.arguments as { name: string }[])[0]!.name, value: '' } };
      else if (template) params = { ref: { type: 'ref/resource', uri: template.uriTemplate }, argument: { name: /\{[+#./;?&]?([^},*]+)/.exec(String(template.uriTemplate))![1]!, value: '' } };
      else return skip('no prompt argument or template variable to complete');
      const r = (await client.complete(params as never)) as unknown as { completion?: { values?: unknown } };
      const values = r.completion?.values;
      if (!Array.isArray(values)) return fail('completion.values is not an array');
      return verdict(values.length <= 100 && values.every((v) => typeof v === 'string'), `${values.length} value(s) for ${JSON.stringify(params.ref)}`);
    });
  }

  await ctx.rec.check({ id: 'errors.unknown-method', level: 'MUST', spec: 'basic#responses (JSON-RPC 2.0 §5.1)', title: 'an unknown method is answered with error -32601 (Method not found)' }, async () => {
    try {
      await client.request('erlmcp/validate-no-such-method', {});
      return fail('answered a result');
    } catch (e) {
      if (!(e instanceof McpError)) throw e;
      return verdict(e.code === -32601, describeError(e));
    }
  });

  const badParams = caps.tools !== undefined ? 'tools/call' : caps.prompts !== undefined ? 'prompts/get' : caps.resources !== undefined ? 'resources/read' : undefined;
  const badDef = { id: 'errors.invalid-params', level: 'SHOULD' as const, spec: 'basic#responses (JSON-RPC 2.0 §5.1)', title: 'a request missing its required params is answered with error -32602 (Invalid params)' };
  if (!badParams) ctx.rec.skipAll([badDef], 'no method with required params is declared');
  else {
    await ctx.rec.check(badDef, async () => {
      try {
        await client.request(badParams, {});
        return fail(`${badParams} without its required params answered a result`);
      } catch (e) {
        if (!(e instanceof McpError)) throw e;
        return verdict(e.code === -32602, `${badParams} {}: ${describeError(e)}`);
      }
    });
  }
}
