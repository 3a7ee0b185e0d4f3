/**
 * The `everything` server: every fixture the MCP conformance suite expects
 * (../shared/notes/conformance.md) plus a few realistic tools. One definition, any number of
 * sessions, any transport.
 */
import * as z from 'zod';
import { McpServer, type ServerOptions } from '../../src/server/index.js';
import { registerModernFixtures } from './modern.js';

export const TEST_IMAGE_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
export const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/** SEP-1613 / SEP-2106: a raw 2020-12 schema that must reach clients byte for byte. */
export const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object' as const,
  $defs: {
    address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('Cancelled'));
    }, { once: true });
  });

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

export function createEverythingServer(options?: ServerOptions): McpServer {
  const server = new McpServer(
    { name: 'erlmcp-everything', title: 'erlmcp everything server', version: '0.1.0', description: 'Every MCP feature, for tests and demos' },
    { instructions: 'A demo server exposing every MCP 2025-11-25 feature.', ...options },
  );
  registerConformanceTools(server);
  registerRealisticTools(server);
  registerResources(server);
  registerPrompts(server);
  registerModernFixtures(server);
  return server;
}

function registerConformanceTools(server: McpServer): void {
  server.tool('test_simple_text', { description: 'This is a simple text response for testing.' }, () => text('This is a simple text response for testing.'));

  server.tool('test_image_content', { description: 'Returns an image (PNG) content block.' }, () => ({
    content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }],
  }));

  server.tool('test_audio_content', { description: 'Returns an audio (WAV) content block.' }, () => ({
    content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }],
  }));

  server.tool('test_embedded_resource', { description: 'Returns an embedded text resource.' }, () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }));

  server.tool('test_multiple_content_types', { description: 'Returns text, image and an embedded resource.' }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ],
  }));

  server.tool('test_tool_with_logging', { description: 'Emits log messages while it runs.' }, async (_args, ctx) => {
    await ctx.log('info', 'Tool execution started');
    await sleep(50);
    await ctx.log('info', 'Tool processing data');
    await sleep(50);
    await ctx.log('info', 'Tool execution completed');
    return text('Tool with logging executed successfully');
  });

  server.tool('test_tool_with_progress', { description: 'Reports progress 0, 50, 100 of 100.' }, async (_args, ctx) => {
    for (const p of [0, 50, 100]) {
      await ctx.progress(p, 100, `Completed step ${p} of 100`);
      if (p < 100) await sleep(50, ctx.signal);
    }
    return text(String(ctx.meta?.progressToken ?? 'no progress token'));
  });

  server.tool('test_error_handling', { description: 'Always fails, to test error results.' }, () => {
    throw new Error('This tool intentionally returns an error for testing');
  });

  server.tool(
    'test_reconnection',
    { description: 'Closes the SSE stream mid-call (SEP-1699); the result arrives after the client reconnects.' },
    async (_args, ctx) => {
      ctx.closeSSEStream();
      await sleep(100);
      return text('Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.');
    },
  );

  server.tool(
    'test_sampling',
    { description: 'Asks the client to sample an LLM completion.', inputSchema: z.object({ prompt: z.string().describe('The prompt to send to the LLM') }) },
    async ({ prompt }, ctx) => {
      const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 });
      const block = Array.isArray(r.content) ? r.content[0] : r.content;
      return text(`LLM response: ${block && block.type === 'text' ? block.text : JSON.stringify(block)}`);
    },
  );

  server.tool(
    'test_elicitation',
    { description: 'Asks the user for input (form elicitation).', inputSchema: z.object({ message: z.string().describe('The message to show the user') }) },
    async ({ message }, ctx) => {
      const r = await ctx.elicit({
        message,
        requestedSchema: { type: 'object', properties: { response: { type: 'string', description: "User's response" } }, required: ['response'] },
      });
      return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
    },
  );

  server.tool('test_elicitation_sep1034_defaults', { description: 'Elicitation whose fields all carry defaults (SEP-1034).' }, async (_args, ctx) => {
    const r = await ctx.elicit({
      message: 'Please review and update the form fields with defaults',
      requestedSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'User name', default: 'John Doe' },
          age: { type: 'integer', description: 'User age', default: 30 },
          score: { type: 'number', description: 'User score', default: 95.5 },
          status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
          verified: { type: 'boolean', description: 'Verification status', default: true },
        },
        required: [],
      },
    });
    return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
  });

  server.tool('test_elicitation_sep1330_enums', { description: 'Elicitation with all five enum shapes (SEP-1330).' }, async (_args, ctx) => {
    const r = await ctx.elicit({
      message: 'Please select options from the enum fields',
      requestedSchema: {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
          titledSingle: {
            type: 'string',
            description: 'Select one option with titles',
            oneOf: [
              { const: 'value1', title: 'First Option' },
              { const: 'value2', title: 'Second Option' },
              { const: 'value3', title: 'Third Option' },
            ],
          },
          legacyEnum: { type: 'string', description: 'Select one option (legacy)', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
          untitledMulti: { type: 'array', description: 'Select multiple options', minItems: 1, maxItems: 3, items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
          titledMulti: {
            type: 'array',
            description: 'Select multiple options with titles',
            minItems: 1,
            maxItems: 3,
            items: {
              anyOf: [
                { const: 'value1', title: 'First Choice' },
                { const: 'value2', title: 'Second Choice' },
                { const: 'value3', title: 'Third Choice' },
              ],
            },
          },
        },
        required: [],
      },
    });
    return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
  });

  server.tool('json_schema_2020_12_tool', { description: 'Tool with JSON Schema 2020-12 features (SEP-1613)', inputSchema: JSON_SCHEMA_2020_12 }, (args) =>
    text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );
}

function registerRealisticTools(server: McpServer): void {
  server.tool(
    'add_numbers',
    {
      title: 'Add numbers',
      description: 'Adds two numbers and returns the sum.',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );

  server.tool('echo', { description: 'Echoes its text back.', inputSchema: z.object({ text: z.string() }), annotations: { readOnlyHint: true } }, ({ text: t }) => text(t));

  server.tool(
    'long_running_operation',
    {
      description: 'Works for `seconds`, reporting progress each step; cancellable; may run as a task.',
      inputSchema: z.object({ seconds: z.number().min(0).max(60).default(1), steps: z.number().int().min(1).max(100).default(5) }),
      execution: { taskSupport: 'optional' },
    },
    async ({ seconds, steps }, ctx) => {
      for (let i = 1; i <= steps; i++) {
        await sleep((seconds * 1000) / steps, ctx.signal);
        await ctx.progress(i, steps, `Step ${i} of ${steps}`);
      }
      return text(`Long running operation completed after ${seconds}s in ${steps} steps.`);
    },
  );
}

function registerResources(server: McpServer): void {
  server.resource('test://static-text', { name: 'static-text', title: 'Static Text Resource', description: 'A static text resource for testing', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));
  server.resource('test://static-binary', { name: 'static-binary', title: 'Static Binary Resource', description: 'A static binary resource (image) for testing', mimeType: 'image/png' }, (uri) => ({
    contents: [{ uri, mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }],
  }));
  server.resourceTemplate(
    'template',
    'test://template/{id}/data',
    { title: 'Resource Template', description: 'A resource template with parameter substitution', mimeType: 'application/json' },
    (uri, { id }) => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }) }] }),
    { complete: { id: (value) => ['123', '456', '789'].filter((v) => v.startsWith(value)) } },
  );
  server.resource('test://watched-resource', { name: 'watched-resource', title: 'Watched Resource', description: 'A resource clients can subscribe to', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri, mimeType: 'text/plain', text: 'Watched resource content' }],
  }));
}

function registerPrompts(server: McpServer): void {
  server.prompt('test_simple_prompt', { title: 'Simple Test Prompt', description: 'A simple prompt without arguments' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  server.prompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt With Arguments',
      description: 'A prompt with required arguments',
      arguments: [
        { name: 'arg1', description: 'First test argument', required: true },
        { name: 'arg2', description: 'Second test argument', required: true },
      ],
      complete: { arg1: (value) => ['paris', 'park', 'party', 'hello'].filter((v) => v.startsWith(value)) },
    },
    ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
  );
  server.prompt(
    'test_prompt_with_embedded_resource',
    { title: 'Prompt With Embedded Resource', description: 'A prompt that includes an embedded resource', arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }] },
    ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri ?? 'test://example-resource', mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.prompt('test_prompt_with_image', { title: 'Prompt With Image', description: 'A prompt that includes an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
}
