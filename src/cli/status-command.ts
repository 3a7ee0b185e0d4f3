/**
 * Operating a running `erlmcp start`: `erlmcp status [url]` reads its `GET /status`;
 * `erlmcp stop [pidfile|url]` sends SIGTERM (a graceful drain: streams end, sessions close,
 * Redis disconnects) and waits until the process is gone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { StatusReport } from './admin.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import type { CliIO } from './program.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function statusUrl(target: string): URL {
  let u: URL;
  try {
    u = new URL(/^\w+:\/\//.test(target) ? target : `http://${target}`);
  } catch {
    throw new CliError(`"${target}" is not a URL such as http://127.0.0.1:3000`, EXIT_USAGE);
  }
  return new URL('/status', u.origin);
}

async function fetchStatus(target: string, token: string | undefined): Promise<StatusReport> {
  const url = statusUrl(target);
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (e) {
    throw new CliError(`cannot reach ${url.href}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message} (is erlmcp start running there?)`, EXIT_FAILURE);
  }
  if (res.status === 401) throw new CliError(`${url.href} needs the admin token: pass --token <token> or set ERLMCP_ADMIN_TOKEN`, EXIT_FAILURE);
  if (res.status === 403) throw new CliError(`${url.href} answers loopback clients only; start the server with --admin-token to query it remotely`, EXIT_FAILURE);
  if (res.status === 404) throw new CliError(`${url.href} has no status endpoint (not an erlmcp start server, or a --cluster one)`, EXIT_FAILURE);
  if (!res.ok) throw new CliError(`${url.href} answered ${res.status}`, EXIT_FAILURE);
  return (await res.json()) as StatusReport;
}

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${s % 60}s`].filter(Boolean).join(' ');
}

export function formatStatus(r: StatusReport): string {
  const lines = [
    `erlmcp ${r.version}, pid ${r.pid}, node ${r.node}${r.worker !== undefined ? ` (worker ${r.worker})` : ''}`,
    `  uptime:     ${duration(r.uptimeSeconds)}`,
    `  sessions:   ${r.sessions}`,
    `  requests:   ${r.requests.total} total, ${r.requests.lastMinute} in the last minute (${r.requests.perSecond}/s)`,
    `  errors:     ${r.requests.serverErrors} server (5xx), ${r.requests.clientErrors} client (4xx)`,
    `  transports: ${r.transports.join(', ')}`,
  ];
  if (r.nodes) lines.push(`  nodes:      ${r.nodes.length} (${r.nodes.join(', ')})`);
  return `${lines.join('\n')}\n`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid `erlmcp stop` signals: from a pid file, or from a local server's /status. */
async function targetPid(target: string, token: string | undefined): Promise<{ pid: number; from: string }> {
  if (!/^\w+:\/\//.test(target) || existsSync(target)) {
    if (!existsSync(target)) throw new CliError(`no pid file ${target} (start the server with --pid-file ${target}, or give its URL)`, EXIT_USAGE);
    const pid = Number(readFileSync(target, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new CliError(`${target} does not hold a process id`, EXIT_USAGE);
    return { pid, from: target };
  }
  const host = new URL(target).hostname;
  if (!LOOPBACK_HOSTS.has(host)) throw new CliError(`erlmcp stop signals a process on this machine: ${host} is not a loopback address (use its pid file there)`, EXIT_USAGE);
  return { pid: (await fetchStatus(target, token)).pid, from: target };
}

export function addStatusCommands(program: Command, io: CliIO): void {
  program
    .command('status')
    .description('Show a running erlmcp start server: uptime, sessions, request rates, errors, cluster nodes')
    .argument('[url]', 'the server (its MCP endpoint or origin)', 'http://127.0.0.1:3000')
    .addOption(new Option('--token <token>', 'admin token (--admin-token of erlmcp start)').env('ERLMCP_ADMIN_TOKEN'))
    .option('--json', 'print the raw JSON')
    .action(async (url: string, opts: { token?: string; json?: boolean }) => {
      const r = await fetchStatus(url, opts.token);
      io.out(opts.json ? `${JSON.stringify(r, null, 2)}\n` : formatStatus(r));
    });

  program
    .command('stop')
    .description('Stop a running erlmcp start server gracefully (SIGTERM), and wait until it is gone')
    .argument('[target]', 'its --pid-file, or the URL of a server on this machine', 'erlmcp.pid')
    .addOption(new Option('--token <token>', 'admin token, to read the pid from a URL').env('ERLMCP_ADMIN_TOKEN'))
    .addOption(
      new Option('--timeout <ms>', 'how long to wait for the drain').default(30_000).argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw new CliError(`--timeout ${v}: expected a positive number of milliseconds`, EXIT_USAGE);
        return n;
      }),
    )
    .option('--force', 'send SIGKILL if it has not exited within --timeout')
    .action(async (target: string, opts: { token?: string; timeout: number; force?: boolean }) => {
      const { pid, from } = await targetPid(target, opts.token);
      if (!alive(pid)) throw new CliError(`process ${pid} (from ${from}) is not running`, EXIT_FAILURE);
      process.kill(pid, 'SIGTERM');
      io.err(`erlmcp: sent SIGTERM to ${pid}; waiting for it to drain…\n`);
      const deadline = Date.now() + opts.timeout;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid)) {
        if (!opts.force) throw new CliError(`process ${pid} is still running after ${opts.timeout} ms (send it again, or use --force to kill it)`, EXIT_FAILURE);
        process.kill(pid, 'SIGKILL');
        io.out(`erlmcp: killed ${pid} (it did not drain within ${opts.timeout} ms)\n`);
        return;
      }
      io.out(`erlmcp: stopped ${pid}\n`);
    });
}
