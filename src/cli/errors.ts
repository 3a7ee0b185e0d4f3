/**
 * Errors the CLI shows to a person: each says what went wrong in the user's terms and what to
 * do about it, instead of Node's raw code (EADDRINUSE, ECONNREFUSED, "Unexpected token").
 */
import { ErlmcpError } from '../protocol/errors.js';

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/** A failure whose message is written for a person; `exitCode` 2 = usage error, 1 = runtime failure. */
export class CliError extends ErlmcpError {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(exitCode === EXIT_USAGE ? 'ERR_INVALID_ARGUMENT' : 'ERR_TRANSPORT', message, options);
  }
}

interface NodeError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** What a failed listen() means: the port is taken, privileged, or the address is not this machine's. */
export function listenError(e: unknown, what: string, host: string, port: number, flag = '--port'): Error {
  const err = e as NodeError;
  switch (err?.code) {
    case 'EADDRINUSE':
      return new CliError(
        `${what}: port ${port} on ${host} is already in use by another process.\n` +
          `  Stop that process, choose another port (${flag} ${port + 1}), or let the system pick a free one with ${flag} 0 (the real port is printed).`,
        EXIT_FAILURE,
        { cause: e },
      );
    case 'EACCES':
      return new CliError(`${what}: no permission to listen on port ${port} (ports below 1024 need privileges). Use a port ≥ 1024, or ${flag} 0.`, EXIT_FAILURE, { cause: e });
    case 'EADDRNOTAVAIL':
      return new CliError(`${what}: ${host} is not an address of this machine. Use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface).`, EXIT_FAILURE, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(`${what}: the host name ${host} does not resolve. Use an IP address such as 127.0.0.1.`, EXIT_FAILURE, { cause: e });
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}

/** Walks `cause` chains and AggregateErrors (ioredis and net report several attempts). */
function* causes(e: unknown, depth = 0): Generator<NodeError> {
  if (!e || typeof e !== 'object' || depth > 5) return;
  yield e as NodeError;
  const { cause, errors } = e as { cause?: unknown; errors?: unknown[] };
  if (cause) yield* causes(cause, depth + 1);
  if (Array.isArray(errors)) for (const x of errors) yield* causes(x, depth + 1);
}

/** Redis at startup: refused, not resolvable, auth failure and timeouts get different messages. */
export function redisError(e: unknown, url: string): Error {
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || 6379}`;
  } catch {
    /* keep the raw text */
  }
  const all = [...causes(e)];
  const text = all.map((x) => `${x.code ?? ''} ${x.message ?? ''}`).join(' | ');
  const has = (re: RegExp) => re.test(text);
  if (has(/ENOTFOUND|EAI_AGAIN|EAI_NONAME|getaddrinfo/)) {
    return new CliError(`Redis: the host name in ${where} does not resolve (DNS lookup failed). Check the spelling of the host in --redis, or use an IP address.`, EXIT_FAILURE, { cause: e });
  }
  if (has(/ECONNREFUSED/)) {
    return new CliError(`Redis: connection refused at ${where}: nothing listens there. Start Redis (e.g. \`redis-server\`), or fix the port in --redis.`, EXIT_FAILURE, { cause: e });
  }
  if (has(/WRONGPASS|NOAUTH|invalid username-password|invalid password|AUTH/i)) {
    return new CliError(`Redis at ${where} refused the credentials: authentication failed. Put the right user and password in the URL: redis://user:password@host:port.`, EXIT_FAILURE, { cause: e });
  }
  if (has(/ETIMEDOUT|timed? ?out|within \d+/i)) {
    return new CliError(`Redis at ${where} did not answer in time (a firewall, a wrong host, or TLS expected: try rediss://). Original error: ${(e as Error).message}`, EXIT_FAILURE, { cause: e });
  }
  return new CliError(`Redis at ${where}: ${(e as Error)?.message ?? String(e)}`, EXIT_FAILURE, { cause: e });
}

/** Error output: colour only on a TTY and when NO_COLOR is unset (https://no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function red(text: string, color: boolean): string {
  return color ? `\x1b[31m${text}\x1b[39m` : text;
}

export function bold(text: string, color: boolean): string {
  return color ? `\x1b[1m${text}\x1b[22m` : text;
}
