/**
 * One short-lived connection to Redis before the stores connect, so the CLI can tell a person
 * which of the usual problems it is: nothing listening (refused), a host name that does not
 * resolve, or credentials Redis rejects.
 */
import { Redis } from 'ioredis';
import { redisError } from './errors.js';

/** Resolves when Redis answers PING with these credentials; rejects with an explained CliError otherwise. */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<void> {
  const errors: Error[] = [];
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'erlmcp:probe',
  });
  client.on('error', (e: Error) => errors.push(e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw redisError(new AggregateError([e, ...errors], (e as Error).message), url);
  } finally {
    client.disconnect();
  }
}
