/** Fixture tools the failover, routing and outage tests drive; harmless to the conformance suite. */
import * as z from 'zod';
import type { McpServer } from '../../src/server/index.js';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function registerFixtureTools(server: McpServer, nodeId: () => string): void {
  server.tool('whoami', { description: 'Names the node and process that ran this call.' }, () => text(JSON.stringify({ nodeId: nodeId(), pid: process.pid })));

  server.tool(
    'notify_standalone',
    { description: 'Sends notifications unrelated to this call (they travel on the GET stream).', inputSchema: z.object({ from: z.number().int(), count: z.number().int().min(1).max(100) }) },
    async ({ from, count }, ctx) => {
      for (let i = from; i < from + count; i++) await ctx.session.notify('notifications/message', { level: 'info', logger: 'standalone', data: i });
      return text(`sent ${count}`);
    },
  );

  server.tool('sleepy', { description: 'Sleeps, then answers.', inputSchema: z.object({ ms: z.number().int().min(0).max(60_000) }) }, async ({ ms }) => {
    await sleep(ms);
    return text(`slept ${ms} ms on ${nodeId()}`);
  });

  server.tool(
    'sample_after_reconnect',
    { description: 'Ends its SSE stream, then asks the client to sample: the request reaches the client on its resumed stream.', inputSchema: z.object({ prompt: z.string() }) },
    async ({ prompt }, ctx) => {
      ctx.closeSSEStream();
      await sleep(50);
      const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 });
      const block = Array.isArray(r.content) ? r.content[0] : r.content;
      return text(`sampled on ${nodeId()}: ${block && block.type === 'text' ? block.text : '?'}`);
    },
  );
}
