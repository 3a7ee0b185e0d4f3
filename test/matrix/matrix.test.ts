/**
 * Every feature scenario of the core over every transport (issue 5). Add a transport by adding
 * one entry to transports.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErlmcpError, McpError } from '../../src/protocol/errors.js';
import type { CallToolResult, LoggingMessageNotificationParams } from '../../src/protocol/types.js';
import { matrixEntries, type Connected } from './transports.js';

const LIMIT = 16 * 1024 * 1024;
const text = (r: CallToolResult) => (r.content[0]?.type === 'text' ? r.content[0].text : '');

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const entry of matrixEntries()) {
  describe(`transport matrix: ${entry.name}`, { concurrency: false }, () => {
    let c: Connected;
    before(async () => {
      await entry.start();
      c = await entry.connect({
        sampling: (p) => {
          const first = p.messages[0]?.content;
          const asked = first && !Array.isArray(first) && first.type === 'text' ? first.text : '';
          return { role: 'assistant', model: 'matrix-model', content: { type: 'text', text: `echo of ${asked}` } };
        },
        elicitation: () => ({ action: 'accept', content: { response: 'from the user' } }),
      });
    });
    after(async () => {
      await c?.close();
      await entry.stop();
    });

    test('tools: list, call with structured output, invalid args as isError, unknown tool as -32602', async () => {
      const tools = await c.client.listAllTools();
      assert.ok(tools.some((t) => t.name === 'add_numbers'));
      const r = await c.client.callTool({ name: 'add_numbers', arguments: { a: 5, b: 3 } });
      assert.deepEqual(r.structuredContent, { sum: 8 });
      const bad = await c.client.callTool({ name: 'add_numbers', arguments: { a: 'five' } });
      assert.equal(bad.isError, true);
      await assert.rejects(c.client.callTool({ name: 'no_such_tool' }), (e: unknown) => e instanceof McpError && e.code === -32602);
    });

    test('sampling round trip: the tool gets the client model answer', async () => {
      const r = await c.client.callTool({ name: 'test_sampling', arguments: { prompt: 'hello model' } });
      assert.equal(text(r), 'LLM response: echo of hello model');
    });

    test('elicitation round trip: the tool gets the user answer', async () => {
      const r = await c.client.callTool({ name: 'test_elicitation', arguments: { message: 'your name?' } });
      assert.equal(text(r), 'User response: action=accept, content={"response":"from the user"}');
    });

    test('resources: read, template read, subscribe → updated, unsubscribe → silence', async () => {
      const read = await c.client.readResource('test://static-text');
      assert.deepEqual(read.contents[0], { uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' });
      const tpl = await c.client.readResource('test://template/123/data');
      assert.deepEqual(JSON.parse((tpl.contents[0] as { text: string }).text), { id: '123', templateTest: true, data: 'Data for ID: 123' });
      const updated: string[] = [];
      c.client.onResourceUpdated = (uri) => updated.push(uri);
      await c.client.subscribeResource('test://watched-resource');
      await c.client.callTool({ name: 'matrix_touch_resource', arguments: { uri: 'test://watched-resource' } });
      await until(() => updated.length === 1, 30_000, 'resources/updated');
      await c.client.unsubscribeResource('test://watched-resource');
      await c.client.callTool({ name: 'matrix_touch_resource', arguments: { uri: 'test://watched-resource' } });
      // A barrier on the same channel: an update for another subscribed resource, sent after.
      await c.client.subscribeResource('test://static-text');
      await c.client.callTool({ name: 'matrix_touch_resource', arguments: { uri: 'test://static-text' } });
      await until(() => updated.length === 2, 30_000, 'the barrier update');
      await c.client.unsubscribeResource('test://static-text');
      assert.deepEqual(updated, ['test://watched-resource', 'test://static-text']);
    });

    test('prompts and completion', async () => {
      const p = await c.client.getPrompt('test_prompt_with_arguments', { arg1: 'hello', arg2: 'world' });
      assert.deepEqual(p.messages[0]?.content, { type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" });
      const done = await c.client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'pa' } });
      assert.deepEqual(done.completion.values, ['paris', 'park', 'party']);
    });

    test('logging: setLevel filters what the tool logs', async () => {
      const logs: LoggingMessageNotificationParams[] = [];
      c.client.onLogMessage = (m) => logs.push(m);
      await c.client.setLoggingLevel('info');
      await c.client.callTool({ name: 'test_tool_with_logging' });
      await until(() => logs.length >= 3, 30_000, 'three log messages');
      logs.length = 0;
      await c.client.setLoggingLevel('error');
      // A tool's logs travel with its call and arrive before its result.
      await c.client.callTool({ name: 'test_tool_with_logging' });
      assert.equal(logs.length, 0);
      await c.client.setLoggingLevel('debug');
    });

    test('progress: 0, 50, 100 of 100 reach onprogress', async () => {
      const seen: number[] = [];
      await c.client.callTool({ name: 'test_tool_with_progress' }, { onprogress: (p) => seen.push(p.progress) });
      assert.deepEqual(seen, [0, 50, 100]);
    });

    test('cancellation: aborting a long call rejects it at once and the session goes on', async () => {
      const ac = new AbortController();
      // ERR_CANCELLED is the client's own answer: no response ever comes for a cancelled call.
      const call = c.client.callTool({ name: 'long_running_operation', arguments: { seconds: 10, steps: 100 } }, { signal: ac.signal, onprogress: () => ac.abort('stop') });
      await assert.rejects(call, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CANCELLED');
      const r = await c.client.callTool({ name: 'echo', arguments: { text: 'after cancel' } });
      assert.equal(text(r), 'after cancel');
    });

    test('a message just over 16 MiB fails that call only; one just under goes through', async () => {
      // Requests padded to a byte or two over / 100 bytes under the limit (the exact limit and
      // limit + 1 are tested per transport beside each transport's code).
      const base = { jsonrpc: '2.0', id: 0, method: 'tools/call', params: { name: 'echo', arguments: { text: '' } } };
      const overhead = Buffer.byteLength(JSON.stringify(base));
      // Our client's ids are small integers; allow for a few digits of id.
      const pad = (n: number) => 'x'.repeat(n - overhead - 2);
      const over = c.client.callTool({ name: 'echo', arguments: { text: pad(LIMIT + 1 + 2) } }, { timeoutMs: 20_000 });
      await assert.rejects(over);
      if (entry.oversize === 'connection-closes') {
        c = await entry.connect();
      }
      const ok = await c.client.callTool({ name: 'echo', arguments: { text: 'small' } });
      assert.equal(text(ok), 'small');
      const atLimit = await c.client.callTool({ name: 'echo', arguments: { text: pad(LIMIT - 100) } }, { timeoutMs: 20_000 });
      assert.equal(text(atLimit).length, LIMIT - 100 - overhead - 2);
    });
  });
}
