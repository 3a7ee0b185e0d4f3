import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { z } from 'zod';
import { connectPair, until, WAIT_MS } from '../../test/helpers/pair.js';
import { McpError } from '../protocol/errors.js';
import type { TextContent } from '../protocol/types.js';
import { McpServer } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const LANGUAGES = ['python', 'pascal', 'perl', 'php', 'javascript', 'java', 'go'];
const MANY = Array.from({ length: 150 }, (_, i) => `item-${String(i).padStart(3, '0')}`);

function makeServer(): McpServer {
  const server = new McpServer({ name: 'prompts-server', version: '1.0.0' });
  servers.push(server);
  server.prompt(
    'code_review',
    {
      title: 'Code review',
      description: 'Review code',
      arguments: [
        { name: 'language', description: 'Language', required: true },
        { name: 'style', required: false },
      ],
      complete: { language: (value) => LANGUAGES.filter((l) => l.startsWith(value)) },
    },
    (args) => ({
      description: 'review',
      messages: [{ role: 'user', content: { type: 'text', text: `Review ${args.language} code${args.style ? ` in ${args.style} style` : ''}` } }],
    }),
  );
  server.prompt(
    'greeting',
    {
      arguments: z.object({ name: z.string().describe('Who to greet'), mood: z.enum(['happy', 'grumpy']).optional() }),
      complete: { name: () => MANY },
    },
    (args) => {
      const name: string = args.name;
      return { messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}${args.mood ? `, you seem ${args.mood}` : ''}` } }] };
    },
  );
  server.prompt('simple', {}, () => ({ messages: [{ role: 'assistant', content: { type: 'text', text: 'no args' } }] }));
  server.resourceTemplate('files', 'file:///{project}/{path}', {}, (uri) => ({ contents: [{ uri, text: '' }] }), {
    complete: {
      project: (value) => ['erlmcp', 'erlang', 'elixir'].filter((p) => p.startsWith(value)),
      path: (value, context) => [`${context.arguments?.project ?? '?'}/${value}readme.md`],
    },
  });
  return server;
}

function firstText(r: { messages: { content: unknown }[] }): string {
  return (r.messages[0]?.content as TextContent).text;
}

describe('prompts', () => {
  it('lists prompts with arguments from a list and from a zod schema', async () => {
    const { client } = await connectPair(makeServer());
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts, [
      {
        name: 'code_review',
        title: 'Code review',
        description: 'Review code',
        arguments: [
          { name: 'language', description: 'Language', required: true },
          { name: 'style', required: false },
        ],
      },
      {
        name: 'greeting',
        arguments: [
          { name: 'name', required: true, description: 'Who to greet' },
          { name: 'mood', required: false },
        ],
      },
      { name: 'simple' },
    ]);
  });

  it('gets a prompt with list-form arguments', async () => {
    const { client } = await connectPair(makeServer());
    const r = await client.getPrompt('code_review', { language: 'go', style: 'terse' });
    assert.equal(r.description, 'review');
    assert.equal(r.messages[0]?.role, 'user');
    assert.equal(firstText(r), 'Review go code in terse style');
  });

  it('gets a prompt with zod-form arguments, validated', async () => {
    const { client } = await connectPair(makeServer());
    assert.equal(firstText(await client.getPrompt('greeting', { name: 'Ada', mood: 'happy' })), 'Hello Ada, you seem happy');
    await assert.rejects(client.getPrompt('greeting', { name: 'Ada', mood: 'sleepy' }), (e: unknown) => e instanceof McpError && e.code === -32602 && /mood/.test(e.message));
  });

  it('answers a missing required argument with -32602 naming it', async () => {
    const { client } = await connectPair(makeServer());
    await assert.rejects(client.getPrompt('code_review', { style: 'x' }), (e: unknown) => e instanceof McpError && e.code === -32602 && /language/.test(e.message));
    await assert.rejects(client.getPrompt('code_review'), (e: unknown) => e instanceof McpError && e.code === -32602);
    await assert.rejects(client.getPrompt('greeting', {}), (e: unknown) => e instanceof McpError && e.code === -32602 && /name/.test(e.message));
  });

  it('gets a prompt without arguments, and answers an unknown prompt with -32602', async () => {
    const { client } = await connectPair(makeServer());
    assert.equal(firstText(await client.getPrompt('simple')), 'no args');
    await assert.rejects(client.getPrompt('nope'), (e: unknown) => e instanceof McpError && e.code === -32602);
  });

  it('announces prompts list_changed when a prompt is removed', async () => {
    const server = makeServer();
    const h = server.prompt('temp', {}, () => ({ messages: [] }));
    const { client } = await connectPair(server);
    let changes = 0;
    client.onPromptsListChanged = () => changes++;
    h.remove();
    await until(() => changes === 1, WAIT_MS, 'prompts list_changed');
    assert.equal((await client.listPrompts()).prompts.some((p) => p.name === 'temp'), false);
  });
});

describe('completion/complete', () => {
  it('completes a prompt argument by prefix', async () => {
    const { client } = await connectPair(makeServer());
    const r = await client.complete({ ref: { type: 'ref/prompt', name: 'code_review' }, argument: { name: 'language', value: 'p' } });
    assert.deepEqual(r.completion, { values: ['python', 'pascal', 'perl', 'php'], total: 4, hasMore: false });
    const ja = await client.complete({ ref: { type: 'ref/prompt', name: 'code_review' }, argument: { name: 'language', value: 'ja' } });
    assert.deepEqual(ja.completion.values, ['javascript', 'java']);
  });

  it('caps values at 100 and reports total and hasMore', async () => {
    const { client } = await connectPair(makeServer());
    const r = await client.complete({ ref: { type: 'ref/prompt', name: 'greeting' }, argument: { name: 'name', value: '' } });
    assert.equal(r.completion.values.length, 100);
    assert.deepEqual(r.completion.values.slice(0, 2), ['item-000', 'item-001']);
    assert.equal(r.completion.total, 150);
    assert.equal(r.completion.hasMore, true);
  });

  it('returns no values for an argument without a completer', async () => {
    const { client } = await connectPair(makeServer());
    const r = await client.complete({ ref: { type: 'ref/prompt', name: 'code_review' }, argument: { name: 'style', value: 'x' } });
    assert.deepEqual(r.completion.values, []);
  });

  it('completes resource template variables, with earlier arguments as context', async () => {
    const { client } = await connectPair(makeServer());
    const r = await client.complete({ ref: { type: 'ref/resource', uri: 'file:///{project}/{path}' }, argument: { name: 'project', value: 'erl' } });
    assert.deepEqual(r.completion.values, ['erlmcp', 'erlang']);
    const p = await client.complete({
      ref: { type: 'ref/resource', uri: 'file:///{project}/{path}' },
      argument: { name: 'path', value: 'docs/' },
      context: { arguments: { project: 'erlmcp' } },
    });
    assert.deepEqual(p.completion.values, ['erlmcp/docs/readme.md']);
  });

  it('answers an unknown prompt with -32602 and an unknown template with -32002', async () => {
    const { client } = await connectPair(makeServer());
    await assert.rejects(client.complete({ ref: { type: 'ref/prompt', name: 'nope' }, argument: { name: 'a', value: '' } }), (e: unknown) => e instanceof McpError && e.code === -32602);
    await assert.rejects(client.complete({ ref: { type: 'ref/resource', uri: 'x://{nope}' }, argument: { name: 'nope', value: '' } }), (e: unknown) => e instanceof McpError && e.code === -32002);
  });
});
