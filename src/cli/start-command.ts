/** `erlmcp start`: flags → options (with the environment and the config file, see config.ts) → startServer. */
import { Option, type Command } from 'commander';
import { resolveStartOptions } from './config.js';
import { LOG_LEVELS } from '../features/telemetry/config.js';
import { parseCount, parseHost, parseLimit, parseList, parseMetricsPort, parsePort, parseRate, parseRedisUrl, parseWorkers } from './parse.js';
import { signalRestart, superviseService, writePidFile } from './service.js';
import { banner, exitOnSignals, startServer, type RunningServer, type StartOptions } from './start.js';
import type { CliIO } from './program.js';

const EXAMPLES = `
Examples:
  erlmcp start                                      everything server on http://127.0.0.1:3000/mcp
  erlmcp start --port 0 --module ./server.ts        your server (TypeScript is fine), on a free port
  erlmcp start --stdio --module ./server.ts         the same over stdin/stdout (for desktop clients)
  erlmcp start --ws --legacy-sse --tcp-port 3001    WebSocket at /mcp/ws, HTTP+SSE at /sse, TCP on 3001
  erlmcp start --tls-cert cert.pem --tls-key key.pem --ws
                                                    HTTPS and WSS
  erlmcp start --cluster 4 --redis redis://127.0.0.1:6379
                                                    four workers on one port sharing sessions
  erlmcp start --host 0.0.0.0 --auth-issuer https://auth.example.com --metrics
                                                    exposed: OAuth bearer tokens, Prometheus /metrics

Options come from, highest first: flags; ERLMCP_* environment variables (ERLMCP_PORT,
ERLMCP_MODULE, …) then PORT and REDIS_URL; the config file (--config, ERLMCP_CONFIG, or
erlmcp.config.{json,ts,mts,js,mjs} in the current folder); defaults. See docs/cli.md.

Network transports run in supervised worker processes (one, or --cluster N): a worker that
crashes is replaced (the service stops after --max-restarts restarts within --restart-window).
SIGTERM/SIGINT drain: /ready answers 503, new sessions get 503 + Retry-After, calls in flight
finish within --drain-timeout, then exit 0; a second signal exits at once. SIGHUP (or erlmcp
restart) replaces the workers one at a time. --stdio serves in this process, unsupervised.`;

/** Flags actually given on the command line (commander has no defaults for them, so present = given). */
function givenFlags(cmd: Command): Partial<StartOptions> & { config?: string } {
  const given: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cmd.opts())) if (v !== undefined && cmd.getOptionValueSource(k) === 'cli') given[k] = v;
  return given;
}

export function addStartCommand(program: Command, io: CliIO): void {
  program
    .command('start')
    .description('Serve an MCP server: Streamable HTTP at /mcp (probes /health, /ready), optionally WebSocket, legacy HTTP+SSE and TCP/TLS beside it — or stdio')
    .addOption(new Option('-p, --port <number>', 'HTTP port; 0 picks a free one (default: 3000)').argParser(parsePort))
    .addOption(new Option('--host <address>', 'address to bind (default: 127.0.0.1)').argParser(parseHost))
    .option('-m, --module <path>', 'module exporting createServer(): McpServer, or a default McpServer; .js, .mjs or .ts (default: the everything example server)')
    .option('--stdio', 'serve one client on stdin/stdout instead of the network')
    .option('--ws', 'also accept WebSocket connections on the HTTP port, at /mcp/ws')
    .option('--no-ws', 'no WebSocket (overrides the config file)')
    .option('--legacy-sse', 'also serve the 2024-11-05 HTTP+SSE transport (GET /sse, POST /messages)')
    .option('--no-legacy-sse', 'no legacy HTTP+SSE (overrides the config file)')
    .addOption(new Option('--tcp-port <number>', 'also serve newline-delimited JSON-RPC over TCP on this port (TLS with --tls-cert)').argParser(parsePort))
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS, WSS and TLS TCP (needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--json', 'answer requests with one JSON body instead of an SSE stream')
    .option('--no-json', 'SSE streams (overrides the config file)')
    .addOption(new Option('-c, --cluster <workers>', 'run this many worker processes on the one port (more than 1 needs --redis)').argParser(parseWorkers))
    .addOption(new Option('--redis <url>', 'keep sessions, events and replies in Redis, shared by every process using it').argParser(parseRedisUrl))
    .option('--redis-prefix <prefix>', 'prefix of every Redis key and channel (default: "erlmcp:")')
    .option('--pid-file <path>', 'write the process id here while serving (erlmcp stop and erlmcp restart read it)')
    .addOption(new Option('--allowed-origins <list>', "browser origins allowed to call (comma-separated; '*' for any); default: loopback origins on a loopback bind, none elsewhere").argParser(parseList))
    .addOption(new Option('--allowed-hosts <list>', 'Host header values accepted (comma-separated); default: loopback names on a loopback bind, any elsewhere').argParser(parseList))
    .addOption(new Option('--max-sessions <n>', 'live sessions per process (default 10000); past it 503 + Retry-After').argParser(parseCount))
    .addOption(new Option('--max-connections <n>', 'open HTTP connections (default 8192); the longest-idle is closed at the cap').argParser(parseCount))
    .addOption(new Option('--max-in-flight <n>', 'requests running at once per session (default 256)').argParser(parseCount))
    .addOption(new Option('--tool-timeout <ms>', 'default time limit of a tool call (default 300000)').argParser(parseCount))
    .addOption(new Option('--rate-limit <requests/seconds>', 'per caller (subject, else session, else address), e.g. 100/1; in Redis with --redis').argParser(parseRate))
    .addOption(new Option('--drain-timeout <ms>', 'on SIGTERM and rolling restarts, time given to calls in flight before they are answered with an error (default 10000)').argParser(parseLimit(3_600_000)))
    .addOption(new Option('--max-restarts <n>', 'crashed-worker restarts allowed within --restart-window; one more stops the service, exit 1 (default 5)').argParser(parseLimit(1_000_000)))
    .addOption(new Option('--restart-window <ms>', 'window in which worker restarts are counted (default 60000)').argParser(parseLimit(86_400_000)))
    .option('--auth-issuer <url>', 'require bearer JWTs from this OAuth authorization server (docs/security.md)')
    .option('--auth-audience <aud>', "the tokens' required aud (default: the MCP endpoint URL, RFC 8707)")
    .option('--auth-jwks <url>', "the issuer's JWKS (default: jwks_uri from the issuer's metadata)")
    .option('--auth-resource <url>', 'the public URL of the endpoint, as clients see it (default: the listen URL)')
    .option('--api-keys <file>', 'accept API keys from this file (hashed; re-read on change)')
    .option('--policy <file>', 'RBAC policy: who may list and call which tools, resources and prompts')
    .option('--audit-log <file|url>', 'append a hash-chained audit record per request to a file, or to a Redis stream shared by every worker and node (redis://…; check with erlmcp audit verify)')
    .option('--otel', 'export traces and metrics with the OpenTelemetry SDK (OTLP; configured by the OTEL_* variables)')
    .option('--metrics', 'serve Prometheus metrics at /metrics')
    .addOption(new Option('--metrics-port <number>', 'serve /metrics on this port instead (127.0.0.1)').argParser(parseMetricsPort))
    .addOption(new Option('--log-level <level>', 'JSON logs on stderr at this level').choices(LOG_LEVELS))
    .option('--dashboard', 'serve a live dashboard at /dashboard (loopback clients only)')
    .option('--admin-token <token>', 'bearer token for GET /status (erlmcp status); without one, /status answers loopback clients only')
    .option('--config <file>', 'config file (default: erlmcp.config.{json,ts,mts,js,mjs} in the current folder)')
    .addHelpText('after', EXAMPLES)
    .action(async (_opts: unknown, cmd: Command) => {
      const { options } = await resolveStartOptions({ flags: givenFlags(cmd) });
      // With --stdio, stdout is the protocol channel: everything for people goes to stderr.
      const say = options.stdio ? io.err : io.out;
      const log = (l: string): void => io.err(`${l}\n`);
      let stop: (() => Promise<void>) | undefined;
      const running: RunningServer = await startServer(options, log, {
        onStdioEnd: () => {
          // The client closed our stdin: the session is over, as is the server.
          void (stop ? stop() : Promise.resolve()).then(() => (io.onStdioEnd ? io.onStdioEnd() : process.exit(0)));
        },
      });
      const removePid = options.pidFile === undefined ? undefined : writePidFile(options.pidFile);
      stop = () => running.close().finally(() => removePid?.());
      // Handlers first, banner second: whoever reads the banner may signal at once.
      if (io.onStarted) io.onStarted(running);
      else {
        const exit = (code: number): void => {
          removePid?.();
          process.exit(code);
        };
        exitOnSignals(() => running.close(), { log, exit });
        superviseService(running, { log, exit });
      }
      say(`${banner(options, running).join('\n')}\n`);
    });

  program
    .command('restart')
    .description('Replace the workers of a running `erlmcp start` one at a time (sends it SIGHUP)')
    .requiredOption('--pid-file <path>', 'the pid file given to `erlmcp start --pid-file`')
    .action((opts: { pidFile: string }) => {
      const pid = signalRestart(opts.pidFile);
      io.out(`erlmcp: rolling restart requested (SIGHUP to ${pid}); progress is in the server's log\n`);
    });
}
