/**
 * Client side of the stdio transport (basic/transports#stdio): launch the server as a
 * subprocess, write to its stdin, read newline-delimited JSON-RPC from its stdout, and on close
 * "close stdin, terminate subprocess" — escalating to SIGTERM and then SIGKILL so a server that
 * ignores EOF cannot keep the client waiting forever.
 *
 * The child gets a minimal environment: an allow-list of variables from ours plus whatever the
 * caller passes. Inheriting everything would hand API keys and tokens meant for the host to
 * every server it launches (and NODE_OPTIONS could inject code into a Node server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { ErlmcpError, toError } from '../../protocol/errors.js';
import { parseJson } from '../../protocol/jsonrpc.js';
import type { MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import { NewlineFramer, serialize } from '../shared/framing.js';
import { BackpressureWriter } from './writer.js';

export interface StdioServerParameters {
  command: string;
  args?: string[];
  /** Added to (and overriding) the allow-listed environment from getDefaultEnvironment(). */
  env?: Record<string, string>;
  cwd?: string;
  /** What to do with the server's stderr (its logs). Default 'inherit'. */
  stderr?: 'inherit' | 'pipe' | 'ignore';
  /** Per-message limit in bytes for what the server sends; default 16 MiB. */
  maxMessageBytes?: number;
  /** How long each shutdown step (stdin EOF, then SIGTERM) may take. Default 2000 ms. */
  shutdownTimeoutMs?: number;
}

const INHERITED_ENV_VARS =
  process.platform === 'win32'
    ? ['APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PATH', 'PROCESSOR_ARCHITECTURE', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'TMP', 'USERNAME', 'USERPROFILE', 'PROGRAMFILES']
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'TMPDIR'];

/** The variables a spawned server inherits from this process by default. */
export function getDefaultEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV_VARS) {
    const value = process.env[key];
    // Skip bash exported functions ("() { ...") — code, not configuration.
    if (value === undefined || value.startsWith('()')) continue;
    env[key] = value;
  }
  return env;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Spawns a stdio server and talks to it over its pipes; `close()` ends stdin, then SIGTERM, then SIGKILL.
 *
 * @example
 * await client.connect(new StdioClientTransport({ command: 'node', args: ['server.mjs'], stderr: 'pipe' }));
 */
export class StdioClientTransport implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sessionId: string | undefined = undefined;

  private readonly params: StdioServerParameters;
  private readonly framer: NewlineFramer;
  private readonly stderrStream: PassThrough | null;
  private child: ChildProcess | undefined;
  private writer: BackpressureWriter | undefined;
  private exited: Promise<void> | undefined;
  private status: ExitStatus | undefined;
  private closing: Promise<void> | undefined;
  private finished = false;

  constructor(params: StdioServerParameters) {
    this.params = params;
    // Created up front so callers can attach to stderr before start().
    this.stderrStream = params.stderr === 'pipe' ? new PassThrough() : null;
    this.framer = new NewlineFramer({
      maxMessageBytes: params.maxMessageBytes,
      onframe: (line) => this.handleLine(line),
      onoverflow: (info) =>
        this.onerror?.(
          new ErlmcpError(
            'ERR_MESSAGE_TOO_LARGE',
            `Server sent a message of ${info.bytes}+ bytes (id ${String(info.id)}), over the ${this.framer.maxMessageBytes}-byte limit; dropped`,
          ),
        ),
    });
  }

  /** The server's stderr when `stderr: 'pipe'`, else null. Available before start(). */
  get stderr(): Readable | null {
    return this.stderrStream;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the server process ended, once it has. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  start(): Promise<void> {
    if (this.child || this.closing) return Promise.reject(new ErlmcpError('ERR_TRANSPORT', 'StdioClientTransport already started'));
    const { command, args = [], env, cwd, stderr = 'inherit' } = this.params;
    return new Promise<void>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(command, args, {
          env: { ...getDefaultEnvironment(), ...env },
          cwd,
          stdio: ['pipe', 'pipe', stderr],
          shell: false,
          windowsHide: true,
        });
      } catch (e) {
        reject(new ErlmcpError('ERR_TRANSPORT', `Failed to start MCP server "${command}": ${(e as Error).message}`, { cause: e }));
        return;
      }
      this.child = child;
      this.exited = new Promise<void>((done) =>
        child.once('exit', (code, signal) => {
          this.status = { code, signal };
          done();
        }),
      );
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (!spawned) {
          // e.g. ENOENT: no such command. 'close' follows; mark finished so onclose stays quiet.
          this.finished = true;
          reject(new ErlmcpError('ERR_TRANSPORT', `Failed to start MCP server "${command}": ${e.message}`, { cause: e }));
          return;
        }
        this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `MCP server process error: ${e.message}`, { cause: e }));
      });
      child.once('close', () => this.finish());
      const { stdin, stdout } = child;
      if (!stdin || !stdout) return; // unreachable with stdio: 'pipe'
      this.writer = new BackpressureWriter(stdin);
      stdout.on('data', (chunk: Buffer) => this.framer.push(chunk));
      stdout.on('error', (e) => this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Server stdout error: ${e.message}`, { cause: e })));
      stdin.on('error', (e: NodeJS.ErrnoException) => {
        // EPIPE/EOF while shutting down just means the server already went away.
        if (this.closing === undefined) this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Server stdin error: ${e.message}`, { cause: e }));
      });
      if (this.stderrStream && child.stderr) child.stderr.pipe(this.stderrStream);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (!this.writer) return Promise.reject(new ErlmcpError('ERR_NOT_CONNECTED', 'StdioClientTransport not started'));
    if (this.closing || this.finished) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'StdioClientTransport is closed'));
    return this.writer.write(serialize(message));
  }

  /** Ends the server's stdin, then SIGTERM, then SIGKILL; resolves once it has exited. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited || this.finished) {
      this.finish();
      return;
    }
    const timeout = this.params.shutdownTimeoutMs ?? 2000;
    child.stdin?.end();
    if (!(await settlesWithin(exited, timeout))) {
      child.kill('SIGTERM');
      if (!(await settlesWithin(exited, timeout))) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    // The process is gone; drop its pipes so 'close' cannot wait on a grandchild holding them.
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.framer.reset();
    this.stderrStream?.end();
    this.onclose?.();
  }

  private handleLine(line: string): void {
    if (this.finished) return;
    const parsed = parseJson(line);
    if (!parsed.ok) {
      const preview = line.length > 200 ? `${line.slice(0, 200)}…` : line;
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Server wrote a line that is not JSON (stdout must carry only MCP messages): ${preview}`));
      return;
    }
    try {
      this.onmessage?.(parsed.value);
    } catch (e) {
      this.onerror?.(toError(e));
    }
  }
}

/** Resolves true if `p` settles within `ms`, false otherwise; never leaves a timer behind. */
function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
