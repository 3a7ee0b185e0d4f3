/**
 * Conformance client for `@modelcontextprotocol/conformance client`: the suite runs this
 * program with the mock server's URL as the last argument and the scenario name in
 * MCP_CONFORMANCE_SCENARIO. Exit code 0 = the client did its part.
 */
import { importPKCS8 } from 'jose';
import { OAuthClient } from '../src/client/auth/index.js';
import { Client } from '../src/client/index.js';
import { StreamableHttpClientTransport } from '../src/transports/http/client.js';
import { nodeFetch } from '../src/transports/shared/node-fetch.js';
import type { Tool } from '../src/protocol/types.js';

const url = process.argv[process.argv.length - 1];
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? 'initialize';

function pick(tools: Tool[], ...names: string[]): Tool | undefined {
  for (const n of names) {
    const t = tools.find((x) => x.name === n);
    if (t) return t;
  }
  return tools[0];
}

/**
 * Auth scenarios: the suite's mock authorization server approves at once, so the "browser step"
 * is one GET whose redirect carries the code. Credentials come in MCP_CONFORMANCE_CONTEXT.
 */
async function oauthFor(name: string): Promise<OAuthClient> {
  const ctx = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as { client_id?: string; client_secret?: string; private_key_pem?: string; signing_algorithm?: string };
  const machine = name.startsWith('auth/client-credentials');
  return new OAuthClient({
    grant: machine ? 'client_credentials' : 'authorization_code',
    ...(ctx.client_id !== undefined ? { clientId: ctx.client_id } : {}),
    ...(ctx.client_secret !== undefined ? { clientSecret: ctx.client_secret } : {}),
    ...(ctx.private_key_pem !== undefined ? { clientPrivateKey: await importPKCS8(ctx.private_key_pem, ctx.signing_algorithm ?? 'ES256') } : {}),
    // The URL the suite's mock authorization server expects of a client metadata document.
    clientMetadataUrl: 'https://conformance-test.local/client-metadata.json',
    redirectUri: 'http://127.0.0.1:3999/callback',
    authorize: async (u) => {
      const r = await fetch(u, { redirect: 'manual' });
      await r.text();
      const location = r.headers.get('location');
      if (location === null) throw new Error(`authorization endpoint answered ${r.status} without a redirect`);
      return new URL(location, u);
    },
  });
}

async function run(): Promise<void> {
  if (!url || !/^https?:/.test(url)) throw new Error('usage: conformance/client.js <server-url>');
  const elicitation = scenario.startsWith('elicitation');
  const client = new Client(
    { name: 'erlmcp-conformance-client', version: '0.1.0' },
    elicitation
      ? {
          // SEP-1034: the app accepts with nothing filled in; the library applies schema defaults.
          elicitation: () => ({ action: 'accept', content: {} }),
        }
      : {},
  );
  // The client opens its standalone GET stream after notifications/initialized, without waiting.
  // The sse-retry mock server takes the first GET after the tool call for the reconnection, so on
  // a loaded machine a late standalone GET read as "reconnected too early". Record when that GET
  // has been answered and make the tool call only then, as an app that waits for it would.
  let standaloneOpen!: () => void;
  const standaloneOpened = new Promise<void>((resolve) => (standaloneOpen = resolve));
  const recordingFetch = (async (input: string | URL, init?: Parameters<typeof nodeFetch>[1]) => {
    const res = await nodeFetch(input, init);
    if ((init?.method ?? 'GET') === 'GET') standaloneOpen();
    return res;
  }) as typeof fetch;
  // Auth scenarios: OAuthClient's fetch (on the global fetch) does discovery, tokens and retries.
  const transport = new StreamableHttpClientTransport(url, { fetch: scenario.startsWith('auth/') ? (await oauthFor(scenario)).fetch : recordingFetch });
  await client.connect(transport);
  try {
    const tools = (await client.listTools()).tools;
    if (scenario === 'initialize') return;
    if (scenario === 'sse-retry') {
      await standaloneOpened;
      await client.callTool({ name: 'test_reconnection', arguments: {} });
      return;
    }
    if (elicitation) {
      const tool = pick(tools, 'test_client_elicitation_defaults', ...tools.filter((t) => t.name.includes('elicitation')).map((t) => t.name));
      if (tool) await client.callTool({ name: tool.name, arguments: {} });
      return;
    }
    const tool = pick(tools, 'add_numbers');
    if (tool) await client.callTool({ name: tool.name, arguments: { a: 5, b: 3 } });
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close();
  }
}

run().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`[${scenario}] failed:`, e);
    process.exit(1);
  },
);
