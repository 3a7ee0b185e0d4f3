/**
 * Conformance client for `@modelcontextprotocol/conformance client`: the suite runs this
 * program with the mock server's URL as the last argument, the scenario name in
 * MCP_CONFORMANCE_SCENARIO, the spec revision in MCP_CONFORMANCE_PROTOCOL_VERSION and any
 * scenario data in MCP_CONFORMANCE_CONTEXT. Exit code 0 = the client did its part.
 * For 2026-07-28 the client negotiates with `versionNegotiation: 'auto'` (probe with
 * server/discover, fall back to initialize), as a dual-era application would.
 */
import { importPKCS8 } from 'jose';
import { OAuthClient, requestIdJag } from '../src/client/auth/index.js';
import { Client } from '../src/client/index.js';
import { StreamableHttpClientTransport } from '../src/transports/http/client.js';
import { nodeFetch } from '../src/transports/shared/node-fetch.js';
import type { ElicitResult, Tool } from '../src/protocol/types.js';

const url = process.argv[process.argv.length - 1];
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? 'initialize';
const revision = process.env.MCP_CONFORMANCE_PROTOCOL_VERSION ?? '2025-11-25';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as { toolCalls?: { name: string; arguments?: Record<string, unknown> }[] };
const modern = revision >= '2026-07-28';

function pick(tools: Tool[], ...names: string[]): Tool | undefined {
  for (const n of names) {
    const t = tools.find((x) => x.name === n);
    if (t) return t;
  }
  return tools[0];
}

/** Arguments that satisfy a tool's required string/number/boolean properties. */
function sampleArgs(tool: Tool): Record<string, unknown> {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string }>;
  const args: Record<string, unknown> = {};
  for (const k of tool.inputSchema.required ?? []) {
    const type = props[k]?.type;
    args[k] = type === 'integer' || type === 'number' ? 1 : type === 'boolean' ? true : type === 'object' ? {} : type === 'array' ? [] : 'x';
  }
  return args;
}

/** The 2026-07-28 flows (B.3 of the implementer's notes). */
async function runModern(client: Client): Promise<void> {
  const tools = (await client.listTools()).tools;
  switch (scenario) {
    case 'tools_call': {
      const tool = pick(tools, 'add_numbers');
      if (tool) await client.callTool({ name: tool.name, arguments: { a: 5, b: 3 } });
      return;
    }
    case 'http-custom-headers':
      for (const call of context.toolCalls ?? []) await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
      return;
    case 'http-invalid-tool-headers':
    case 'sep-2322-client-request-state':
      // Every tool that survived the x-mcp-header check; MRTR rounds are answered by the handlers.
      for (const t of tools) await client.callTool({ name: t.name, arguments: sampleArgs(t) });
      return;
    case 'http-standard-headers': {
      for (const t of tools) await client.callTool({ name: t.name, arguments: sampleArgs(t) });
      for (const r of (await client.listResources()).resources) await client.readResource(r.uri);
      for (const p of (await client.listPrompts()).prompts) await client.getPrompt(p.name);
      return;
    }
    case 'json-schema-2020-12-preservation': {
      // Echo the focal tool's inputSchema as received: the scenario checks nothing was stripped.
      const focal = tools.find((t) => t.name !== 'json_schema_echo');
      if (focal) await client.callTool({ name: 'json_schema_echo', arguments: { schema: focal.inputSchema } });
      return;
    }
    default:
      // auth/*: connect, list, call the mock's tool (each request authorized by OAuthClient).
      if (scenario.startsWith('auth/') && tools[0]) await client.callTool({ name: tools[0].name, arguments: sampleArgs(tools[0]) });
      return; // request-metadata, json-schema-ref-no-deref: connecting and listing is the flow
  }
}

/**
 * Auth scenarios: the suite's mock authorization server approves at once, so the "browser step"
 * is one GET whose redirect carries the code. Credentials come in MCP_CONFORMANCE_CONTEXT.
 */
interface AuthContext {
  client_id?: string;
  client_secret?: string;
  private_key_pem?: string;
  signing_algorithm?: string;
  /** auth/wif-jwt-bearer: the workload's identity token. */
  valid_jwt?: string;
  /** auth/enterprise-managed-authorization: the user's session at the enterprise IdP. */
  idp_client_id?: string;
  idp_id_token?: string;
  idp_issuer?: string;
  idp_token_endpoint?: string;
}

/** The JWT bearer assertion: the workload token, or an ID-JAG asked of the enterprise IdP. */
function assertionFor(ctx: AuthContext): ((t: { issuer: string; resource: string; scope?: string }) => Promise<string>) | undefined {
  if (ctx.valid_jwt !== undefined) return async () => ctx.valid_jwt!;
  if (ctx.idp_id_token === undefined || ctx.idp_issuer === undefined || ctx.idp_token_endpoint === undefined || ctx.idp_client_id === undefined) return undefined;
  const [idToken, idpIssuer, idpTokenEndpoint, clientId] = [ctx.idp_id_token, ctx.idp_issuer, ctx.idp_token_endpoint, ctx.idp_client_id];
  return ({ issuer, resource, scope }) => requestIdJag({ idpIssuer, idpTokenEndpoint, clientId, idToken, audience: issuer, resource, ...(scope ? { scope } : {}) });
}

async function oauthFor(name: string): Promise<OAuthClient> {
  const ctx = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as AuthContext;
  const machine = name.startsWith('auth/client-credentials');
  const assertion = assertionFor(ctx);
  return new OAuthClient({
    grant: assertion ? 'jwt_bearer' : machine ? 'client_credentials' : 'authorization_code',
    ...(assertion ? { assertion } : {}),
    ...(ctx.client_id !== undefined ? { clientId: ctx.client_id } : {}),
    ...(ctx.client_secret !== undefined ? { clientSecret: ctx.client_secret } : {}),
    ...(ctx.private_key_pem !== undefined ? { clientPrivateKey: await importPKCS8(ctx.private_key_pem, ctx.signing_algorithm ?? 'ES256') } : {}),
    // The URL the suite's mock authorization server expects of a client metadata document.
    clientMetadataUrl: 'https://conformance-test.local/client-metadata.json',
    redirectUri: 'http://127.0.0.1:3999/callback',
    authorize: async (u) => {
      // The browser stand-in. Its GET may land on a kept-alive socket the mock server is closing
      // (idle timeout 5 s, which a busy machine overruns): one reload, as a user would.
      const get = () => fetch(u, { redirect: 'manual' });
      const r = await get().catch(get);
      await r.text();
      const location = r.headers.get('location');
      if (location === null) throw new Error(`authorization endpoint answered ${r.status} without a redirect`);
      return new URL(location, u);
    },
  });
}

async function run(): Promise<void> {
  if (!url || !/^https?:/.test(url)) throw new Error('usage: conformance/client.js <server-url>');
  const elicitation = scenario.startsWith('elicitation') || modern;
  const client = new Client(
    { name: 'erlmcp-conformance-client', version: '0.1.0' },
    {
      ...(elicitation
        ? {
            // SEP-1034: the app accepts with nothing filled in; the library applies schema defaults.
            // (2026-07-28 MRTR mocks ask to confirm.)
            elicitation: (): ElicitResult => ({ action: 'accept', content: modern ? { confirmed: true } : {} }),
          }
        : {}),
      ...(modern ? { versionNegotiation: 'auto' as const } : {}),
      // An OAuth flow is several round trips inside the first request; on a busy machine running
      // the whole client suite at once, 60 s (the default) is not always enough.
      defaultTimeoutMs: 150_000,
    },
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
    if (client.era === 'modern') return await runModern(client);
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
