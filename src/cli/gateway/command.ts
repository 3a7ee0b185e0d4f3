/**
 * `erlmcp gateway --config gateway.json [--port N] [--host H] [--stdio]`: one MCP endpoint in
 * front of the upstreams the config names (docs/gateway.md). Streamable HTTP by default (`/mcp`,
 * `/health` with every upstream's state), or stdio. A config that does not check out is a usage
 * error (exit 2) naming each bad field; the process serves until SIGINT/SIGTERM.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ErlmcpError } from '../../protocol/errors.js';
import { Gateway, loadGatewayConfig, serveGatewayHttp } from '../../gateway/index.js';
import { StdioServerTransport } from '../../transports/stdio/server.js';
import { setExitCode } from '../exit-code.js';

/** A running gateway, as the command hands it to `onGatewayStarted` (tests) or the signal handlers. */
export interface RunningGateway {
  gateway: Gateway;
  /** The MCP endpoint (HTTP); undefined with --stdio. */
  url: string | undefined;
  close(): Promise<void>;
}

export interface GatewayIO {
  out(text: string): void;
  err(text: string): void;
  /** Called once the gateway serves; the default installs the SIGINT/SIGTERM handlers that exit. */
  onGatewayStarted?(running: RunningGateway): void;
}

interface Opts {
  config: string;
  port: number;
  host: string;
  stdio?: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('Expected an integer from 0 to 65535 (0 picks a free port).');
  return n;
}

export function registerGateway(program: Command, io: GatewayIO): void {
  program
    .command('gateway')
    .description('Serve one MCP endpoint aggregating the upstream MCP servers a config file names (docs/gateway.md)')
    .requiredOption('--config <file>', 'the gateway config (JSON): upstreams, namespaces, timeouts, auth')
    .option('--port <n>', 'HTTP port (0 picks a free one)', port, 3000)
    .option('--host <host>', 'HTTP bind address', '127.0.0.1')
    .option('--stdio', 'serve on stdin/stdout instead of HTTP (logs go to stderr)')
    .action(async (opts: Opts, cmd: Command) => {
      let gateway: Gateway;
      try {
        gateway = new Gateway(await loadGatewayConfig(opts.config), { onerror: (e) => io.err(`erlmcp gateway: ${e.message}\n`) });
      } catch (e) {
        if (!(e instanceof ErlmcpError) || e.code !== 'ERR_INVALID_ARGUMENT') throw e;
        io.err(`erlmcp: error: ${e.message}\n`);
        setExitCode(cmd, 2);
        return;
      }
      await gateway.start();
      for (const u of gateway.health().upstreams) io.err(`erlmcp gateway: upstream ${u.name} (${u.type}) ${u.state}${u.lastError ? `: ${u.lastError}` : ''}\n`);
      let running: RunningGateway;
      if (opts.stdio) {
        await gateway.server.connect(new StdioServerTransport());
        running = { gateway, url: undefined, close: () => gateway.close() };
        io.err('erlmcp gateway: serving on stdio\n');
      } else {
        const serving = await serveGatewayHttp(gateway, { port: opts.port, host: opts.host });
        running = {
          gateway,
          url: serving.url,
          async close() {
            await serving.close();
            await gateway.close();
          },
        };
        io.out(`erlmcp gateway listening on ${serving.url}\n`);
      }
      if (io.onGatewayStarted) io.onGatewayStarted(running);
      else stopOnSignals(running, io);
    });
}

/** SIGINT/SIGTERM close the gateway (its upstream processes too), then exit 0; a second signal exits 1 at once. */
function stopOnSignals(running: RunningGateway, io: GatewayIO): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    io.err(`erlmcp gateway: ${signal}, shutting down (send it again to exit at once)\n`);
    running.close().then(
      () => process.exit(0),
      (e: Error) => {
        io.err(`erlmcp gateway: shutdown failed: ${e.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
