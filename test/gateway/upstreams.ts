/**
 * Real upstream servers for the gateway tests, none written here: the official
 * `server-everything` (stdio and Streamable HTTP), `server-filesystem` and `server-memory`
 * (stdio), run with this Node from node_modules.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '../../src/client/index.js';
import { Gateway, parseGatewayConfig, type GatewayConfig, type UpstreamConfig } from '../../src/gateway/index.js';
import { InMemoryTransport } from '../../src/transports/memory.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const require = createRequire(import.meta.url);
const bin = (pkg: string) => join(dirname(require.resolve(`${pkg}/package.json`)), 'dist', 'index.js');

export const EVERYTHING = bin('@modelcontextprotocol/server-everything');
export const FILESYSTEM = bin('@modelcontextprotocol/server-filesystem');
export const MEMORY = bin('@modelcontextprotocol/server-memory');
/** Binds server-everything's `app.listen(PORT)` to 127.0.0.1. */
const LOOPBACK_PRELOAD = pathToFileURL(fileURLToPath(new URL('../transports/fixtures/loopback-listen.js', import.meta.url))).href;

export function everythingStdio(extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { type: 'stdio', command: process.execPath, args: [EVERYTHING], ...extra } as UpstreamConfig;
}

/** A scratch directory with one file in it, served by server-filesystem. */
export function filesystemStdio(): { config: UpstreamConfig; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-gw-fs-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello from the filesystem upstream\n');
  return { config: { type: 'stdio', command: process.execPath, args: [FILESYSTEM, dir] }, dir };
}

export function memoryStdio(): Extract<UpstreamConfig, { type: 'stdio' }> & { env: { MEMORY_FILE_PATH: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-gw-mem-'));
  return { type: 'stdio', command: process.execPath, args: [MEMORY], env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } };
}

/** server-everything over Streamable HTTP on 127.0.0.1 and a port the system picks. */
export function everythingHttp(): Promise<ServerProcess> {
  return startServerProcess(process.execPath, ['--import', LOOPBACK_PRELOAD, EVERYTHING, 'streamableHttp'], { PORT: '0' });
}

export type { GatewayConfig };

/** A started gateway for `config`, with one of our clients connected to it in memory. */
export async function startedGateway(config: unknown, clientName: string): Promise<{ gateway: Gateway; client: Client }> {
  const gateway = new Gateway(parseGatewayConfig(config));
  await gateway.start();
  const [a, b] = InMemoryTransport.createLinkedPair();
  await gateway.server.connect(a);
  const client = new Client({ name: clientName, version: '1' });
  await client.connect(b);
  return { gateway, client };
}
