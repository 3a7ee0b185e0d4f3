/**
 * The `erlmcp` command line (commander). Exit codes: 0 help/version or a clean shutdown,
 * 1 a runtime failure (port taken, Redis unreachable, module throwing), 2 a usage error
 * (unknown option, bad value, options that cannot work together).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ErlmcpError } from '../protocol/errors.js';
import { addAuditCommand } from './audit-command.js';
import { signalRestart, superviseService, writePidFile } from './service.js';
import { LOG_LEVELS } from '../features/telemetry/config.js';
import { banner, exitOnSignals, startServer, type RunningServer, type StartOptions } from './start.js';
import { exitCodeOf } from './exit-code.js';
import { registerValidate } from './validate/command.js';
import { registerGates } from './gates/command.js';
import { registerBench } from './bench/command.js';
import { registerGateway } from './gateway/command.js';

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Called once `start` serves; the default installs the SIGINT/SIGTERM handlers that exit the process. */
  onStarted?(running: RunningServer): void;
}

const stdio: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function version(): string {
  try {
    // dist/src/cli/program.js → the package root.
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('Expected an integer from 0 to 65535 (0 picks a free port).');
  return n;
}

export function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1024) throw new InvalidArgumentError('Expected a number of workers from 1 to 1024.');
  return n;
}

export function parseRedisUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError('Expected a URL such as redis://127.0.0.1:6379.');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InvalidArgumentError('Expected a redis:// or rediss:// URL.');
  return value;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('Expected a positive integer.');
  return n;
}

function parseList(value: string): string[] {
  const items = value.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('Expected a comma-separated list.');
  return items;
}

/** `100/1` = 100 requests per 1 second per caller. */
export function parseRate(value: string): { points: number; duration: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError('Expected <requests>/<seconds>, e.g. 100/1.');
  return { points: Number(m[1]), duration: Number(m[2]) };
}

/** A count or duration (ms): a non-negative integer up to `max`. */
export function parseLimit(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`Expected an integer from 0 to ${max}.`);
    return n;
  };
}

/** `--metrics-port`: a fixed port (the worker listens on it; 0 would leave the banner guessing). */
export function parseMetricsPort(value: string): number {
  const n = parsePort(value);
  if (n === 0) throw new InvalidArgumentError('Expected a port from 1 to 65535.');
  return n;
}

function parseHost(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a host name or address.');
  return value;
}

/** The program; commander never exits the process itself (errors throw CommanderError, see runCli). */
export function createProgram(io: CliIO = stdio): Command {
  const program = new Command('erlmcp');
  // Set before adding commands: subcommands copy these settings when created.
  program
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .description('Model Context Protocol (2025-11-25) runtime for Node.js')
    .version(version(), '-v, --version');

  program
    .command('start')
    .description('Serve an MCP server over Streamable HTTP (endpoint /mcp, probes /health and /ready)')
    .addOption(new Option('-p, --port <number>', 'port to listen on; 0 picks a free one').env('PORT').default(3000).argParser(parsePort))
    .addOption(new Option('--host <address>', 'address to bind').default('127.0.0.1').argParser(parseHost))
    .option('-m, --module <path>', 'module exporting createServer(): McpServer, or a default McpServer (default: the everything example server)')
    .option('--json', 'answer requests with one JSON body instead of an SSE stream')
    .addOption(new Option('-c, --cluster <workers>', 'run this many worker processes on the one port (more than 1 needs --redis)').argParser(parseWorkers))
    .addOption(new Option('--redis <url>', 'keep sessions, events and replies in Redis, shared by every process using it').argParser(parseRedisUrl))
    .option('--redis-prefix <prefix>', 'prefix of every Redis key and channel', 'erlmcp:')
    .addOption(new Option('--allowed-origins <list>', "browser origins allowed to call (comma-separated; '*' for any); default: loopback origins on a loopback bind, none elsewhere").argParser(parseList))
    .addOption(new Option('--allowed-hosts <list>', 'Host header values accepted (comma-separated); default: loopback names on a loopback bind, any elsewhere').argParser(parseList))
    .addOption(new Option('--max-sessions <n>', 'live sessions per process (default 10000); past it 503 + Retry-After').argParser(parseCount))
    .addOption(new Option('--max-connections <n>', 'open HTTP connections (default 8192); the longest-idle is closed at the cap').argParser(parseCount))
    .addOption(new Option('--max-in-flight <n>', 'requests running at once per session (default 256)').argParser(parseCount))
    .addOption(new Option('--tool-timeout <ms>', 'default time limit of a tool call (default 300000)').argParser(parseCount))
    .option('--auth-issuer <url>', 'require bearer JWTs from this OAuth authorization server (docs/security.md)')
    .option('--auth-audience <aud>', "the tokens' required aud (default: the MCP endpoint URL, RFC 8707)")
    .option('--auth-jwks <url>', "the issuer's JWKS (default: jwks_uri from the issuer's metadata)")
    .option('--auth-resource <url>', 'the public URL of the endpoint, as clients see it (default: the listen URL)')
    .option('--api-keys <file>', 'accept API keys from this file (hashed; re-read on change)')
    .option('--policy <file>', 'RBAC policy: who may list and call which tools, resources and prompts')
    .option('--audit-log <file>', 'append a hash-chained audit record per request (check with erlmcp audit verify)')
    .addOption(new Option('--rate-limit <requests/seconds>', 'per caller (subject, else session, else address), e.g. 100/1; in Redis with --redis').argParser(parseRate))
    .addOption(new Option('--drain-timeout <ms>', 'on SIGTERM and rolling restarts, time given to calls in flight before they are answered with an error').default(10_000).argParser(parseLimit(3_600_000)))
    .addOption(new Option('--max-restarts <n>', 'crashed-worker restarts allowed within --restart-window; one more stops the service (exit 1)').default(5).argParser(parseLimit(1_000_000)))
    .addOption(new Option('--restart-window <ms>', 'window in which worker restarts are counted').default(60_000).argParser(parseLimit(86_400_000)))
    .option('--pid-file <path>', 'write the supervisor pid here, for `erlmcp restart --pid-file <path>`')
    .option('--otel', 'export traces and metrics with the OpenTelemetry SDK (OTLP; configured by the OTEL_* variables)')
    .option('--metrics', 'serve Prometheus metrics at /metrics')
    .addOption(new Option('--metrics-port <number>', 'serve /metrics on this port instead (127.0.0.1)').argParser(parseMetricsPort))
    .addOption(new Option('--log-level <level>', 'JSON logs on stderr at this level').choices(LOG_LEVELS))
    .option('--dashboard', 'serve a live dashboard at /dashboard (loopback clients only)')
    .addHelpText(
      'after',
      `
Examples:
  erlmcp start                                      everything server on http://127.0.0.1:3000/mcp
  erlmcp start --port 0 --module ./dist/server.js   your server, on a free port
  erlmcp start --host 0.0.0.0 --redis redis://redis:6379
                                                    one of several machines sharing sessions
  erlmcp start --cluster 4 --redis redis://127.0.0.1:6379
                                                    four workers on one port

The server runs in supervised worker processes: a worker that crashes is replaced (the
service stops after --max-restarts restarts within --restart-window). SIGTERM/SIGINT drain:
/ready answers 503, new sessions get 503 + Retry-After, calls in flight finish within
--drain-timeout, then exit 0; a second signal exits at once. SIGHUP (or erlmcp restart)
replaces the workers one at a time.`,
    )
    .action(async (opts: StartOptions, cmd: Command) => {
      let running: RunningServer;
      try {
        running = await startServer(opts, (l) => io.err(`${l}\n`));
      } catch (e) {
        if (e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT') cmd.error(`error: ${e.message}`, { exitCode: EXIT_USAGE, code: 'erlmcp.usage' });
        throw e;
      }
      io.out(`${banner(opts, running).join('\n')}\n`);
      const removePid = opts.pidFile === undefined ? undefined : writePidFile(opts.pidFile);
      if (io.onStarted) io.onStarted(running);
      else {
        const exit = (code: number): void => {
          removePid?.();
          process.exit(code);
        };
        exitOnSignals(() => running.close(), { log: (l) => io.err(`${l}\n`), exit });
        superviseService(running, { log: (l) => io.err(`${l}\n`), exit });
      }
    });

  program
    .command('restart')
    .description('Replace the workers of a running `erlmcp start` one at a time (sends it SIGHUP)')
    .requiredOption('--pid-file <path>', 'the pid file given to `erlmcp start --pid-file`')
    .action((opts: { pidFile: string }) => {
      const pid = signalRestart(opts.pidFile);
      io.out(`erlmcp: rolling restart requested (SIGHUP to ${pid}); progress is in the server's log\n`);
    });

  registerValidate(program, io);
  registerBench(program, io);
  registerGates(program, io);
  addAuditCommand(program, io);
  registerGateway(program, io);
  return program;
}

/**
 * Parses and runs `argv` (without node and the script). Resolves with the exit code once
 * the command is done, or with undefined while `start` keeps serving.
 */
export async function runCli(argv: string[], io: CliIO = stdio): Promise<number | undefined> {
  try {
    const program = createProgram(io);
    await program.parseAsync(argv, { from: 'user' });
    return exitCodeOf(program);
  } catch (e) {
    // Commander has printed its message; help and --version carry exit code 0.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    io.err(`erlmcp: error: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
