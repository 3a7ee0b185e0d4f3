/**
 * The three scale-out seams on Redis, sharing one node's two connections:
 *
 *   const stores = await connectRedisStores({ url: process.env.REDIS_URL });
 *   await server.useTaskStore(stores.taskStore);
 *   const http = new StreamableHttpServer({ server, ...stores.seams });
 *   …
 *   await http.close(); await stores.close();
 *
 * See docs/deployment.md.
 */
import { RedisBus } from './bus.js';
import { RedisConnection, type RedisConnectionOptions } from './connection.js';
import { RedisEventStore, type RedisEventStoreOptions } from './event-store.js';
import { RedisSessionStore } from './session-store.js';
import { RedisTaskStore, type RedisTaskStoreOptions } from './task-store.js';

export { RedisBus } from './bus.js';
export { RedisConnection, luaScript, type LuaScript, type RedisConnectionOptions } from './connection.js';
export { RedisEventStore, compareEntryIds, type RedisEventStoreOptions, type StreamFollow } from './event-store.js';
export { RedisSessionStore } from './session-store.js';
export { RedisTaskStore, UNBOUNDED_TTL_MS, type RedisTaskStoreOptions } from './task-store.js';

export interface RedisStoresOptions extends RedisConnectionOptions {
  events?: RedisEventStoreOptions;
  tasks?: RedisTaskStoreOptions;
  /** How long to wait for the first connection before failing. Default 5000 ms. */
  connectTimeoutMs?: number;
}

export interface RedisStores {
  readonly connection: RedisConnection;
  readonly nodeId: string;
  readonly sessionStore: RedisSessionStore;
  readonly eventStore: RedisEventStore;
  readonly bus: RedisBus;
  /** Tasks shared by every node: `await server.useTaskStore(stores.taskStore)`. */
  readonly taskStore: RedisTaskStore;
  /** The three seams, to spread into StreamableHttpServerOptions. */
  readonly seams: { sessionStore: RedisSessionStore; eventStore: RedisEventStore; bus: RedisBus };
  close(): Promise<void>;
}

/** Connects (two connections), waits until Redis answers, and builds the stores of one node. */
export async function connectRedisStores(options: RedisStoresOptions = {}): Promise<RedisStores> {
  const connection = new RedisConnection(options);
  try {
    await connection.waitUntilReady(options.connectTimeoutMs ?? 5000);
  } catch (e) {
    await connection.close();
    throw e;
  }
  const sessionStore = new RedisSessionStore(connection);
  const eventStore = new RedisEventStore(connection, options.events);
  const bus = new RedisBus(connection);
  const taskStore = new RedisTaskStore(connection, options.tasks);
  return {
    connection,
    nodeId: connection.nodeId,
    sessionStore,
    eventStore,
    bus,
    taskStore,
    seams: { sessionStore, eventStore, bus },
    close: async () => {
      await taskStore.close();
      await bus.close();
      await connection.close();
    },
  };
}
