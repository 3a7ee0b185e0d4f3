/** What `erlmcp start` prints once it serves, and how it stops on signals. */
import type { RunningServer, StartOptions } from './start.js';

/** Shows a Redis URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The banner (stdout; stderr with `--stdio`, where stdout is the protocol channel). */
export function banner(o: StartOptions, running: RunningServer): string[] {
  const what = o.module ?? 'the everything example server';
  const tls = o.tlsCert !== undefined;
  const transports = o.stdio
    ? ['stdio']
    : [`Streamable HTTP${tls ? 'S' : ''}`, ...(o.ws ? [tls ? 'WSS' : 'WebSocket'] : []), ...(o.legacySse ? ['legacy HTTP+SSE'] : []), ...(o.tcpPort !== undefined ? [tls ? 'TCP+TLS' : 'TCP'] : [])];
  const workers = o.cluster ?? 1;
  const mode = [
    `MCP 2025-11-25 and 2026-07-28, ${transports.join(' + ')}`,
    ...(o.json ? ['JSON responses'] : []),
    o.redis ? `Redis stores at ${redactUrl(o.redis)}` : 'in-memory stores',
    ...(o.stdio ? [] : [`${workers} worker${workers === 1 ? '' : 's'} (supervised)`]),
  ];
  const lines = [`erlmcp: serving ${what} (${mode.join(', ')})`];
  if (o.stdio) lines.push('  endpoint: stdio (newline-delimited JSON-RPC on stdin/stdout)');
  else {
    lines.push(`  endpoint: ${running.url}`);
    if (running.wsUrl) lines.push(`  ws:       ${running.wsUrl}`);
    if (running.legacySseUrl) lines.push(`  sse:      ${running.legacySseUrl}  (2024-11-05 HTTP+SSE)`);
    if (running.tcpUrl) lines.push(`  tcp:      ${running.tcpUrl}`);
    if (running.statusUrl) lines.push(`  status:   ${running.statusUrl}`);
    lines.push(`  health:   ${running.healthUrl}`, `  ready:    ${running.readyUrl}`);
  }
  // The worker serves them; the supervisor knows where from the options.
  const metricsUrl = running.metricsUrl ?? (o.metricsPort !== undefined ? `http://127.0.0.1:${o.metricsPort}/metrics` : o.metrics ? running.url.replace(/\/mcp$/, '/metrics') : undefined);
  if (metricsUrl) lines.push(`  metrics:  ${metricsUrl}`);
  if (o.dashboard && !o.stdio) lines.push(`  dashboard: ${running.url.replace(/\/mcp$/, '/dashboard')}`);
  if (o.pidFile) lines.push(`  pid:      ${process.pid} (in ${o.pidFile})`);
  return lines;
}

export interface SignalIO {
  log(line: string): void;
  exit(code: number): void;
  /** Default: process. */
  target?: NodeJS.EventEmitter;
}

/**
 * SIGINT/SIGTERM close gracefully, then exit 0 (1 if closing failed); a second signal exits 1
 * at once. Returns the remover of the handlers.
 */
export function exitOnSignals(close: () => Promise<void>, io: SignalIO): () => void {
  const target = io.target ?? process;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      io.log(`erlmcp: ${signal} again, exiting now`);
      io.exit(1);
      return;
    }
    stopping = true;
    io.log(`erlmcp: ${signal}, shutting down (send it again to exit at once)`);
    close().then(
      () => io.exit(0),
      (e: Error) => {
        io.log(`erlmcp: shutdown failed: ${e.message}`);
        io.exit(1);
      },
    );
  };
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const s of signals) target.on(s, onSignal);
  return () => {
    for (const s of signals) target.off(s, onSignal);
  };
}
