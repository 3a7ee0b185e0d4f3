/**
 * An MCP server built with the official TypeScript SDK (@modelcontextprotocol/sdk 1.32), used
 * to check erlmcp's Client against an independent implementation. It exposes one fixture per
 * feature: zod tools with outputSchema, sampling and elicitation back to the client, progress,
 * logging, subscriptions, completion and cancellation.
 */
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema, type CallToolResult, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

export const SDK_SERVER_NAME = 'sdk-interop-server';
const CITIES = ['paris', 'park', 'party', 'hello'];
const ITEMS = ['alpha', 'alpine', 'beta'];

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

/** Waits `ms`, or less if `signal` fires first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export function createSdkServer(): McpServer {
  const server = new McpServer(
    { name: SDK_SERVER_NAME, version: '1.32.2' },
    { capabilities: { logging: {}, resources: { subscribe: true } }, instructions: 'Official-SDK fixture for erlmcp interop tests.' },
  );
  const subscriptions = new Set<string>();
  let lastCancellation: { aborted: boolean; reason: string; steps: number } | null = null;

  server.registerTool(
    'add_numbers',
    {
      title: 'Add numbers',
      description: 'Adds two numbers.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
      annotations: { readOnlyHint: true },
    },
    ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );

  // A misbehaving server: the value passes the SDK's own zod check, but toJSON() puts
  // { sum: 'forty-two' } on the wire, so only the client can catch the outputSchema violation.
  server.registerTool('lying_sum', { description: 'Claims a numeric sum, sends a string.', outputSchema: { sum: z.number() } }, () => ({
    content: [{ type: 'text', text: '42' }],
    structuredContent: { sum: 42, toJSON: () => ({ sum: 'forty-two' }) },
  }));

  server.registerTool('ask_llm', { description: 'Samples the client LLM.', inputSchema: { question: z.string() } }, async ({ question }, extra) => {
    const r = await server.server.createMessage(
      { messages: [{ role: 'user', content: { type: 'text', text: question } }], systemPrompt: 'Answer in one sentence.', maxTokens: 64 },
      { relatedRequestId: extra.requestId },
    );
    const block = Array.isArray(r.content) ? r.content[0] : r.content;
    return text(`${r.model} says: ${block?.type === 'text' ? block.text : JSON.stringify(block)}`);
  });

  server.registerTool('ask_user', { description: 'Elicits a form from the user.', inputSchema: { question: z.string() } }, async ({ question }, extra) => {
    const r = await server.server.elicitInput(
      {
        message: question,
        requestedSchema: {
          type: 'object',
          properties: { name: { type: 'string', title: 'Name' }, age: { type: 'integer', title: 'Age', default: 42 } },
          required: ['name'],
        },
      },
      { relatedRequestId: extra.requestId },
    );
    return text(JSON.stringify(r));
  });

  server.registerTool('count_to_three', { description: 'Reports progress 1, 2, 3 of 3.' }, async (extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= 3; i++) {
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: 3, message: `step ${i}` } });
      await pause(20, extra.signal);
    }
    return text(`token=${String(token)}`);
  });

  server.registerTool('log_levels', { description: 'Logs one message at debug, info, warning and error.' }, async (extra) => {
    for (const level of ['debug', 'info', 'warning', 'error'] as LoggingLevel[]) {
      await server.sendLoggingMessage({ level, logger: 'sdk-fixture', data: `${level} message` }, extra.sessionId);
    }
    return text('logged');
  });

  server.registerTool('touch_resource', { description: 'Marks a resource changed.', inputSchema: { uri: z.string() } }, async ({ uri }) => {
    if (!subscriptions.has(uri)) return text('not subscribed');
    await server.server.sendResourceUpdated({ uri });
    return text('notified');
  });

  server.registerTool('slow', { description: 'Works until cancelled or done, one progress step per 100 ms.', inputSchema: { seconds: z.number() } }, async ({ seconds }, extra) => {
    const token = extra._meta?.progressToken;
    const end = Date.now() + seconds * 1000;
    let steps = 0;
    while (!extra.signal.aborted && Date.now() < end) {
      steps++;
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: steps } });
      await pause(100, extra.signal);
    }
    lastCancellation = { aborted: extra.signal.aborted, reason: String(extra.signal.reason), steps };
    return text(`done after ${steps} steps`);
  });

  server.registerTool('last_cancellation', { description: 'What the last `slow` call saw.' }, () => text(JSON.stringify(lastCancellation)));

  server.registerResource('greeting', 'test://greeting', { title: 'Greeting', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Hello from the official SDK' }],
  }));

  server.registerResource(
    'item',
    new ResourceTemplate('test://items/{id}', { list: undefined, complete: { id: (v) => ITEMS.filter((x) => x.startsWith(v)) } }),
    { title: 'Item', mimeType: 'application/json' },
    (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id }) }] }),
  );

  server.server.setRequestHandler(SubscribeRequestSchema, (req) => {
    subscriptions.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    subscriptions.delete(req.params.uri);
    return {};
  });

  server.registerPrompt(
    'trip',
    {
      title: 'Plan a trip',
      description: 'Plans a trip to a city.',
      argsSchema: {
        city: completable(z.string().describe('Destination city'), (v) => CITIES.filter((c) => c.startsWith(v))),
        days: z.string().optional().describe('How many days'),
      },
    },
    ({ city, days }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Plan ${days ?? '3'} days in ${city}.` } }] }),
  );

  return server;
}
