/**
 * `erlmcp call [target] <action> [args…] [-- command args…]`: a command-line MCP client for any
 * server. Readable tables by default, the raw result with `--json`. Requests the server makes
 * back (sampling, elicitation) are refused with a clear answer unless a flag supplies a reply.
 */
import { Option, type Command } from 'commander';
import { Client } from '../../client/index.js';
import { McpError } from '../../protocol/errors.js';
import type { CallToolResult } from '../../protocol/types.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';
import type { CliIO } from '../program.js';
import { version } from '../version.js';
import { promptResult, promptsTable, readResult, resourcesTable, toolResult, toolsTable } from './format.js';
import { connectTarget, describeTarget, parseTargetUrl, type Target } from './target.js';

const ACTIONS = ['tools', 'call', 'resources', 'read', 'prompts', 'get', 'info', 'ping'] as const;
type Action = (typeof ACTIONS)[number];

export interface CallOptions {
  json?: boolean;
  header: string[];
  samplingReply?: string;
  elicitationReply?: string;
  timeout?: number;
}

const HELP = `
Actions:
  tools                        list the tools (name, arguments, description)
  call <tool> ['<json args>']  call a tool; exit code 1 if it reports an error
  resources                    list resources and resource templates
  read <uri>                   read a resource
  prompts                      list prompts
  get <prompt> ['<json args>'] get a prompt
  info                         server name, version, protocol and capabilities
  ping                         check the server answers

Targets:
  http(s)://host:port/mcp      Streamable HTTP (falls back to 2024-11-05 HTTP+SSE)
  ws(s)://host:port/mcp/ws     WebSocket
  tcp://host:port, tls://…     newline-delimited JSON over TCP
  -- <command> [args…]         a stdio server started for the call (last on the line)

Examples:
  erlmcp call http://127.0.0.1:3000/mcp tools
  erlmcp call http://127.0.0.1:3000/mcp call add_numbers '{"a":1,"b":2}'
  erlmcp call --json read file:///etc/hosts -- npx -y @modelcontextprotocol/server-filesystem /etc
  erlmcp call get greeting '{"name":"Ada"}' -- node dist/server.js

Sampling and elicitation requests from the server are refused (sampling: error -1 "rejected";
elicitation: "decline") unless --sampling-reply or --elicitation-reply gives an answer.`;

function parseJsonArg(text: string | undefined, what: string): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} must be a JSON object, such as '{"a": 1}': ${(e as Error).message}`, EXIT_USAGE);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`${what} must be a JSON object, such as '{"a": 1}'`, EXIT_USAGE);
  return v as Record<string, unknown>;
}

function parseHeaders(list: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf(':');
    if (i <= 0) throw new CliError(`--header ${h}: expected "Name: value"`, EXIT_USAGE);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return headers;
}

/** Splits `[target] action args…` and the stdio command after `--`. */
export function parseCallWords(words: string[], afterDashDash: string[] | undefined): { target: Target; action: Action; args: string[] } {
  const rest = [...words];
  let target: Target | undefined;
  if (afterDashDash && afterDashDash.length) target = { kind: 'stdio', command: afterDashDash[0]!, args: afterDashDash.slice(1) };
  else if (rest[0]?.includes('://')) target = { kind: 'url', url: parseTargetUrl(rest.shift()!) };
  if (!target) throw new CliError('no server to call: give a URL first (erlmcp call http://127.0.0.1:3000/mcp tools) or a command after -- (erlmcp call tools -- node server.js)', EXIT_USAGE);
  const action = rest.shift();
  if (!action) throw new CliError(`what should be done? One of: ${ACTIONS.join(', ')}`, EXIT_USAGE);
  if (!(ACTIONS as readonly string[]).includes(action)) throw new CliError(`unknown action "${action}": one of ${ACTIONS.join(', ')}`, EXIT_USAGE);
  const need = { call: 1, read: 1, get: 1 } as Partial<Record<Action, number>>;
  if (rest.length < (need[action as Action] ?? 0)) throw new CliError(`${action} needs ${action === 'read' ? 'a resource URI' : `a ${action === 'call' ? 'tool' : 'prompt'} name`}`, EXIT_USAGE);
  return { target, action: action as Action, args: rest };
}

export function addCallCommand(program: Command, io: CliIO): void {
  program
    .command('call')
    .description('Call any MCP server from the command line: list and call tools, read resources, get prompts')
    .usage('[options] [target] <action> [args...] [-- command [args...]]')
    .argument('[words...]', 'target URL, action and its arguments')
    .option('--json', 'print the raw JSON result (for scripts)')
    .addOption(new Option('-H, --header <name:value>', 'extra HTTP/WebSocket header, e.g. "Authorization: Bearer …" (repeatable)').argParser((v: string, prev: string[] = []) => [...prev, v]).default([]))
    .option('--sampling-reply <text>', 'answer sampling requests with this text instead of refusing them')
    .option('--elicitation-reply <json>', 'accept elicitation requests with this JSON content instead of declining them')
    .addOption(new Option('--timeout <ms>', 'request timeout in milliseconds').default(60_000).argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new CliError(`--timeout ${v}: expected a positive number of milliseconds`, EXIT_USAGE);
      return n;
    }))
    .addHelpText('after', HELP)
    .action(async (words: string[], opts: CallOptions, cmd: Command) => {
      const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
      const dd = raw.indexOf('--');
      const after = dd >= 0 ? raw.slice(dd + 1) : undefined;
      const own = after ? words.slice(0, words.length - after.length) : words;
      await runCall(parseCallWords(own, after), opts, io);
    });
}

/** Runs one action and prints its result; throws CliError (exit 1) when the call fails or the tool reports an error. */
export async function runCall({ target, action, args }: ReturnType<typeof parseCallWords>, opts: CallOptions, io: CliIO): Promise<void> {
  const elicitContent = opts.elicitationReply !== undefined ? parseJsonArg(opts.elicitationReply, '--elicitation-reply') : undefined;
  const toolArgs = action === 'call' || action === 'get' ? parseJsonArg(args[1], `the arguments of ${action} ${args[0]}`) : {};
  let serverStderr = '';
  const client = new Client(
    { name: 'erlmcp-call', version: version() },
    {
      defaultTimeoutMs: opts.timeout,
      sampling: (params) => {
        if (opts.samplingReply === undefined) {
          io.err('erlmcp call: the server asked for sampling (an LLM completion): refused (pass --sampling-reply <text> to answer)\n');
          // client/sampling: -1 is the user-rejected code.
          throw new McpError(-1, 'User rejected sampling request: erlmcp call does not sample (run it with --sampling-reply <text>)');
        }
        io.err(`erlmcp call: answering a sampling request (${params.messages.length} message(s)) with --sampling-reply\n`);
        return { role: 'assistant', model: 'erlmcp-call', content: { type: 'text', text: opts.samplingReply } };
      },
      elicitation: (params) => {
        if (elicitContent === undefined) {
          io.err(`erlmcp call: the server asked for input ("${params.message}"): declined (pass --elicitation-reply '<json>' to accept)\n`);
          return { action: 'decline' };
        }
        return { action: 'accept', content: elicitContent as Record<string, string | number | boolean | string[]> };
      },
    },
  );
  client.onnotification = (method, params) => {
    if (method === 'notifications/message') io.err(`server log [${String(params?.level)}]: ${typeof params?.data === 'string' ? params.data : JSON.stringify(params?.data)}\n`);
  };
  await connectTarget(client, target, { headers: parseHeaders(opts.header), onServerStderr: (t) => (serverStderr = (serverStderr + t).slice(-4000)) }).catch((e: Error) => {
    throw serverStderr ? new CliError(`${e.message}\nits stderr ended with:\n${serverStderr.trimEnd()}`, EXIT_FAILURE, { cause: e }) : e;
  });
  const print = (result: unknown, human: () => string) => io.out(opts.json ? `${JSON.stringify(result, null, 2)}\n` : human());
  const progress = { onprogress: (p: { progress: number; total?: number; message?: string }) => io.err(`progress ${p.progress}${p.total !== undefined ? `/${p.total}` : ''}${p.message ? ` ${p.message}` : ''}\n`) };
  try {
    switch (action) {
      case 'tools': {
        const tools = await client.listAllTools();
        print({ tools }, () => toolsTable(tools));
        break;
      }
      case 'call': {
        const r: CallToolResult = await client.callTool({ name: args[0]!, arguments: toolArgs }, progress);
        print(r, () => toolResult(r));
        if (r.isError) throw new CliError(`tool ${args[0]} reported an error`, EXIT_FAILURE);
        break;
      }
      case 'resources': {
        const resources = await collect((cursor) => client.listResources(cursor ? { cursor } : undefined).then((r) => [r.resources, r.nextCursor] as const));
        const templates = client.serverCapabilities?.resources ? await collect((cursor) => client.listResourceTemplates(cursor ? { cursor } : undefined).then((r) => [r.resourceTemplates, r.nextCursor] as const)) : [];
        print({ resources, resourceTemplates: templates }, () => resourcesTable(resources, templates));
        break;
      }
      case 'read': {
        const r = await client.readResource(args[0]!);
        print(r, () => readResult(r));
        break;
      }
      case 'prompts': {
        const prompts = await collect((cursor) => client.listPrompts(cursor ? { cursor } : undefined).then((r) => [r.prompts, r.nextCursor] as const));
        print({ prompts }, () => promptsTable(prompts));
        break;
      }
      case 'get': {
        const r = await client.getPrompt(args[0]!, toolArgs as Record<string, string>);
        print(r, () => promptResult(r));
        break;
      }
      case 'info': {
        const info = { serverInfo: client.serverInfo, protocolVersion: client.protocolVersion, capabilities: client.serverCapabilities, instructions: client.instructions };
        print(info, () => `${client.serverInfo?.name} ${client.serverInfo?.version} (MCP ${client.protocolVersion}, over ${describeTarget(target)})\ncapabilities: ${Object.keys(client.serverCapabilities ?? {}).join(', ') || 'none'}\n${client.instructions ? `instructions: ${client.instructions}\n` : ''}`);
        break;
      }
      case 'ping': {
        const t0 = performance.now();
        await client.ping();
        print({ ok: true, ms: Math.round(performance.now() - t0) }, () => `pong (${(performance.now() - t0).toFixed(1)} ms)\n`);
        break;
      }
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (e instanceof McpError) throw new CliError(`the server answered ${action}${args[0] ? ` ${args[0]}` : ''} with error ${e.code}: ${e.message}`, EXIT_FAILURE, { cause: e });
    throw e;
  } finally {
    await client.close().catch(() => {});
  }
}

async function collect<T>(page: (cursor: string | undefined) => Promise<readonly [T[], string | undefined]>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const [items, next] = await page(cursor);
    all.push(...items);
    if (!next) break;
    cursor = next;
  }
  return all;
}
