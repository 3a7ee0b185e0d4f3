/**
 * `erlmcp gateway --config gateway.json [--port N] [--host H] [--stdio] [--redis URL]`: one MCP
 * endpoint in front of the upstreams the config names (docs/gateway.md). Streamable HTTP by
 * default (`/mcp`, `/health` with every upstream's state), or stdio. With Redis (`--redis` or
 * the config's `redis`) the nodes of one gateway share the clients' sessions and each upstream's
 * cache, as `erlmcp start --redis` nodes do. A config that does not check out is a usage error
 * (exit 2) naming each bad field; the process serves until SIGINT/SIGTERM.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ErlmcpError } from '../../protocol/errors.js';
import { Gateway, loadGatewayConfig, serveGatewayHttp, type GatewayConfig } from '../../gateway/index.js';
import type { RedisStores } from '../../stores/redis/index.js';
import { StdioServerTransport } from '../../transports/stdio/server.js';
import { redisError } from '../errors.js';
import { setExitCode } from '../exit-code.js';
import { parseRedisUrl } from '../parse.js';
import { probeRedis } from '../redis-probe.js';

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
  redis?: string;
  redisPrefix?: string;
}

/** The Redis stores of this node, when the flags or the config name a Redis. */
async function connectStores(opts: Opts, config: GatewayConfig, io: GatewayIO): Promise<RedisStores | undefined> {
  const url = opts.redis ?? config.redis;
  if (url === undefined) return undefined;
  // Loaded on use: a gateway without Redis does not load ioredis.
  const { connectRedisStores } = await import('../../stores/redis/index.js');
  let stores: RedisStores;
  try {
    stores = await connectRedisStores({ url, prefix: opts.redisPrefix ?? config.redisPrefix });
  } catch (e) {
    // A one-connection probe tells refused, unresolvable and bad credentials apart.
    await probeRedis(url);
    throw redisError(e, url);
  }
  stores.connection.onerror = (e) => io.err(`erlmcp gateway: redis: ${e.message}\n`);
  return stores;
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
    .addOption(new Option('--redis <url>', "share sessions and each upstream's cache with every gateway node on this Redis (overrides the config's redis)").argParser(parseRedisUrl))
    .option('--redis-prefix <prefix>', 'prefix of every Redis key and channel (default: the config\'s redisPrefix, else "erlmcp:")')
    .action(async (opts: Opts, cmd: Command) => {
      let config: GatewayConfig;
      try {
        config = await loadGatewayConfig(opts.config);
      } catch (e) {
        if (!(e instanceof ErlmcpError) || e.code !== 'ERR_INVALID_ARGUMENT') throw e;
        io.err(`erlmcp: error: ${e.message}\n`);
        setExitCode(cmd, 2);
        return;
      }
      const stores = await connectStores(opts, config, io);
      const gateway = new Gateway(config, { onerror: (e) => io.err(`erlmcp gateway: ${e.message}\n`), ...(stores ? { redis: stores.connection } : {}) });
      await gateway.start();
      for (const u of gateway.health().upstreams) io.err(`erlmcp gateway: upstream ${u.name} (${u.type}) ${u.state}${u.lastError ? `: ${u.lastError}` : ''}\n`);
      let running: RunningGateway;
      if (opts.stdio) {
        await gateway.server.connect(new StdioServerTransport());
        running = {
          gateway,
          url: undefined,
          async close() {
            await gateway.close();
            await stores?.close();
          },
        };
        io.err('erlmcp gateway: serving on stdio\n');
      } else {
        // With Redis, sessions (and their SSE events and replies) live there: any node serves any session.
        const serving = await serveGatewayHttp(gateway, { port: opts.port, host: opts.host, ...stores?.seams });
        running = {
          gateway,
          url: serving.url,
          async close() {
            await serving.close();
            await gateway.close();
            await stores?.close();
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
