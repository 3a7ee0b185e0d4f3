/** The files `erlmcp init` writes: a TypeScript MCP server with one tool, one resource, one prompt and a test. */

export interface TemplateOptions {
  name: string;
  transport: 'stdio' | 'http';
  /** Dependency spec for erlmcp in package.json (a semver range, or file:… for a local tarball). */
  erlmcpSpec: string;
  versions: { zod: string; typescript: string; tsx: string; typesNode: string };
}

export function packageJson(o: TemplateOptions): string {
  const start = o.transport === 'stdio' ? 'erlmcp start --stdio --module src/server.ts' : 'erlmcp start --module src/server.ts';
  return `${JSON.stringify(
    {
      name: o.name,
      version: '0.1.0',
      private: true,
      type: 'module',
      engines: { node: '>=20.19' },
      scripts: {
        start: start,
        test: 'node --import tsx --test test/*.test.ts',
        build: 'tsc',
        typecheck: 'tsc --noEmit',
      },
      dependencies: { erlmcp: o.erlmcpSpec, zod: o.versions.zod },
      devDependencies: { '@types/node': o.versions.typesNode, tsx: o.versions.tsx, typescript: o.versions.typescript },
    },
    null,
    2,
  )}\n`;
}

export const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      outDir: 'dist',
      rootDir: '.',
      declaration: true,
      types: ['node'],
    },
    include: ['src', 'test'],
  },
  null,
  2,
)}\n`;

export function serverTs(o: TemplateOptions): string {
  return `/**
 * ${o.name}: an MCP server. \`npm start\` serves it${o.transport === 'stdio' ? ' on stdin/stdout' : ' on http://127.0.0.1:3000/mcp'};
 * createServer() is what \`erlmcp start --module\` and the tests import.
 */
import * as z from 'zod';
import { McpServer } from 'erlmcp/server';

export function createServer(): McpServer {
  const server = new McpServer({ name: ${JSON.stringify(o.name)}, version: '0.1.0' });

  // A tool: the client's model may call it. Arguments are validated against the schema.
  server.tool(
    'add',
    {
      description: 'Adds two numbers',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
    },
    ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );

  // A resource: data the client application can read by URI.
  server.resource('info://about', { name: 'about', description: 'What this server is', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri, mimeType: 'text/plain', text: ${JSON.stringify(`${o.name} is an MCP server built with erlmcp.`)} }],
  }));

  // A prompt: a message template the user can pick.
  server.prompt(
    'review',
    { description: 'Asks for a code review', arguments: z.object({ code: z.string() }) },
    ({ code }) => ({ messages: [{ role: 'user', content: { type: 'text', text: \`Please review this code:\\n\\n\${code}\` } }] }),
  );

  return server;
}
`;
}

export const TEST_TS = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from 'erlmcp/client';
import { InMemoryTransport } from 'erlmcp/transports/memory';
import { createServer } from '../src/server.js';

test('the tool, the resource and the prompt answer over an in-memory connection', async () => {
  const server = createServer();
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);

  const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  assert.deepEqual(sum.structuredContent, { sum: 5 });

  const about = await client.readResource('info://about');
  assert.match(String((about.contents[0] as { text: string }).text), /MCP server/);

  const review = await client.getPrompt('review', { code: 'let x = 1' });
  assert.match(JSON.stringify(review.messages), /let x = 1/);

  await client.close();
  await server.close();
});
`;

export function readme(o: TemplateOptions): string {
  const run =
    o.transport === 'stdio'
      ? `\`npm start\` serves it on stdin/stdout. Point an MCP client at it, e.g. in a client's JSON config:

\`\`\`json
{ "command": "npx", "args": ["erlmcp", "start", "--stdio", "--module", "/absolute/path/to/${o.name}/src/server.ts"] }
\`\`\`

Try it from the command line: \`npx erlmcp call tools -- npx erlmcp start --stdio --module src/server.ts\``
      : `\`npm start\` serves it on http://127.0.0.1:3000/mcp (\`PORT=0 npm start\` picks a free port).

Try it: \`npx erlmcp call http://127.0.0.1:3000/mcp tools\`, or
\`npx erlmcp call http://127.0.0.1:3000/mcp call add '{"a":1,"b":2}'\``;
  return `# ${o.name}

An [MCP](https://modelcontextprotocol.io) server written with [erlmcp](https://www.npmjs.com/package/erlmcp):
one tool (\`add\`), one resource (\`info://about\`) and one prompt (\`review\`) in \`src/server.ts\`.

- \`npm test\` — runs \`test/server.test.ts\` against the server over an in-memory connection.
- \`npm start\` — serves it (TypeScript runs as is; no build step).
- \`npm run build\` — compiles to \`dist/\` (then \`erlmcp start --module dist/src/server.js\`).

${run}

Other transports (WebSocket, TCP, TLS), a config file and the rest: \`npx erlmcp start --help\`.
`;
}

export const GITIGNORE = 'node_modules/\ndist/\n';
