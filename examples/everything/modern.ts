/**
 * Fixtures of the 2026-07-28 conformance scenarios (server-stateless and input-required-result-*),
 * written once: on a 2026-07-28 request each ask for client input is a multi-round-trip input
 * (`inputKey` names it), on a legacy session the same call sends a real request to the client.
 */
import type { McpServer, Registered } from '../../src/server/index.js';
import { registerTaskFixtures } from './tasks.js';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const NAME_SCHEMA = { type: 'object' as const, properties: { name: { type: 'string' as const, description: 'Your name' } }, required: ['name'] };

function accepted(r: { action: string; content?: Record<string, unknown> }, field: string): string {
  return r.action === 'accept' ? String(r.content?.[field] ?? '') : `(${r.action})`;
}

export function registerModernFixtures(server: McpServer): void {
  registerTaskFixtures(server);
  server.tool('test_missing_capability', { description: 'Needs sampling: without the capability the request is refused with -32021.' }, async (_a, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'Answer briefly.' } }], maxTokens: 50 }, { inputKey: 'llm_answer' });
    return text(`model said: ${JSON.stringify(r.content)}`);
  });
  server.tool('test_streaming_elicitation', { description: 'Streams progress and a log line on its own response stream, then answers.' }, async (_a, ctx) => {
    await ctx.progress(1, 2, 'halfway');
    await ctx.log('info', 'streaming');
    return text('streamed');
  });
  server.tool('test_logging_tool', { description: 'Logs at info: sent only when the request asks for a log level.' }, async (_a, ctx) => {
    await ctx.log('info', 'test_logging_tool ran');
    return text('logged');
  });
  let extraTool: Registered | undefined;
  server.tool('test_trigger_tool_change', { description: 'Adds or removes a tool, so tools/list changes.' }, () => {
    if (extraTool) {
      extraTool.remove();
      extraTool = undefined;
    } else extraTool = server.tool('test_dynamic_tool', { description: 'Appears and disappears.' }, () => text('dynamic'));
    return text('tool list changed');
  });
  let extraPrompt: Registered | undefined;
  server.tool('test_trigger_prompt_change', { description: 'Adds or removes a prompt, so prompts/list changes.' }, () => {
    if (extraPrompt) {
      extraPrompt.remove();
      extraPrompt = undefined;
    } else extraPrompt = server.prompt('test_dynamic_prompt', { description: 'Appears and disappears.' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'dynamic' } }] }));
    return text('prompt list changed');
  });

  const askName = (ctx: Parameters<Parameters<McpServer['tool']>[2]>[1]) =>
    ctx.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }, { inputKey: 'user_name' });

  server.tool('test_input_required_result_elicitation', { description: 'Asks the user for their name (elicitation input).' }, async (_a, ctx) => {
    const r = await askName(ctx);
    return text(`Hello, ${accepted(r, 'name')}!`);
  });
  server.tool('test_input_required_result_sampling', { description: 'Asks the client LLM (sampling input).' }, async (_a, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'Say hello.' } }], maxTokens: 50 }, { inputKey: 'llm' });
    return text(`model said: ${JSON.stringify(r.content)}`);
  });
  server.tool('test_input_required_result_list_roots', { description: "Asks for the client's roots." }, async (_a, ctx) => {
    const r = await ctx.listRoots({ inputKey: 'roots' });
    return text(`roots: ${r.roots.map((x) => x.uri).join(', ')}`);
  });
  server.tool('test_input_required_result_request_state', { description: 'Asks for a confirmation and carries its state between rounds.' }, async (_a, ctx) => {
    const r = await ctx.elicit({ message: 'Confirm?', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }, { inputKey: 'confirm' });
    return text(r.action === 'accept' ? 'state-ok' : `declined (${r.action})`);
  });
  server.tool('test_input_required_result_multiple_inputs', { description: 'Asks for a name, an LLM answer and the roots at once.' }, async (_a, ctx) => {
    const [name, llm, roots] = await Promise.all([
      askName(ctx),
      ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'Say hello.' } }], maxTokens: 50 }, { inputKey: 'llm' }),
      ctx.listRoots({ inputKey: 'roots' }),
    ]);
    return text(`name=${accepted(name, 'name')} llm=${JSON.stringify(llm.content)} roots=${roots.roots.length}`);
  });
  server.tool('test_input_required_result_multi_round', { description: 'Asks in two rounds, the second depending on the first.' }, async (_a, ctx) => {
    const first = await ctx.elicit({ message: 'Step 1: your name?', requestedSchema: NAME_SCHEMA }, { inputKey: 'step1' });
    const second = await ctx.elicit({ message: `Step 2: hello ${accepted(first, 'name')}, your city?`, requestedSchema: { type: 'object', properties: { city: { type: 'string' } } } }, { inputKey: 'step2' });
    return text(`done: ${accepted(first, 'name')} / ${accepted(second, 'city')}`);
  });
  server.tool('test_input_required_result_tampered_state', { description: 'Like the elicitation fixture; a tampered requestState is refused.' }, async (_a, ctx) => {
    const r = await askName(ctx);
    return text(`Hello, ${accepted(r, 'name')}!`);
  });
  server.tool('test_input_required_result_capabilities', { description: 'Asks only for what the request declared it can give.' }, async (_a, ctx) => {
    const caps = ctx.clientCapabilities;
    if (caps.elicitation) return text(`Hello, ${accepted(await askName(ctx), 'name')}!`);
    if (caps.sampling) {
      const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'Name someone.' } }], maxTokens: 20 }, { inputKey: 'llm' });
      return text(`model said: ${JSON.stringify(r.content)}`);
    }
    return text('no input possible');
  });
  // SEP-2243: a parameter mirrored as the Mcp-Param-Region header (the HTTP server checks it against the body).
  server.tool(
    'test_x_mcp_header',
    { description: 'Echoes its region, which clients also send as Mcp-Param-Region.', inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] } },
    (a) => text(`region: ${String(a.region)}`),
  );
  server.prompt('test_input_required_result_prompt', { description: 'A prompt that first asks the user for context.' }, async (_a, ctx) => {
    const r = await ctx.elicit({ message: 'What context should the prompt use?', requestedSchema: { type: 'object', properties: { context: { type: 'string' } } } }, { inputKey: 'user_context' });
    return { messages: [{ role: 'user', content: { type: 'text', text: `Context: ${accepted(r, 'context')}` } }] };
  });
}
