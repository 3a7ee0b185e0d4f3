import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair } from '../../test/helpers/pair.js';
import type { LoggingLevel, LoggingMessageNotificationParams } from '../protocol/types.js';
import { LOG_LEVELS } from './session.js';
import { McpServer } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function makeServer(): McpServer {
  const server = new McpServer({ name: 'logging-server', version: '1.0.0' });
  servers.push(server);
  server.tool('chatty', {}, async (_args, ctx) => {
    for (const level of LOG_LEVELS) await ctx.log(level, { said: level }, 'chatty-logger');
    return { content: [{ type: 'text', text: 'done' }] };
  });
  return server;
}

async function logsFrom(client: Awaited<ReturnType<typeof connectPair>>['client']): Promise<LoggingMessageNotificationParams[]> {
  const got: LoggingMessageNotificationParams[] = [];
  client.onLogMessage = (p) => got.push(p);
  await client.callTool({ name: 'chatty' });
  return got;
}

describe('logging', () => {
  it('filters log messages per session by the level set with logging/setLevel', async () => {
    const server = makeServer();
    const a = await connectPair(server, {}, 'a');
    const b = await connectPair(server, {}, 'b');
    await a.client.setLoggingLevel('error');
    const [gotA, gotB] = await Promise.all([logsFrom(a.client), logsFrom(b.client)]);
    // Log notifications are sent before the result, so they have all arrived by now.
    assert.deepEqual(
      gotA.map((m) => m.level),
      ['error', 'critical', 'alert', 'emergency'],
    );
    assert.deepEqual(
      gotB.map((m) => m.level),
      LOG_LEVELS,
    );
    assert.deepEqual(gotA[0], { level: 'error', logger: 'chatty-logger', data: { said: 'error' } });
  });

  it('applies each level as a threshold and can be changed', async () => {
    const server = makeServer();
    const { client, serverSession } = await connectPair(server);
    for (const level of ['debug', 'warning', 'emergency'] as LoggingLevel[]) {
      await client.setLoggingLevel(level);
      assert.equal(serverSession.logLevelName, level);
      const got = await logsFrom(client);
      assert.deepEqual(
        got.map((m) => m.level),
        LOG_LEVELS.slice(LOG_LEVELS.indexOf(level)),
        level,
      );
    }
    assert.equal(serverSession.exportState().logLevel, 'emergency');
  });

  it('omits the logger field when none is given', async () => {
    const server = makeServer();
    server.tool('plain', {}, async (_a, ctx) => {
      await ctx.log('info', 'hello');
      return { content: [] };
    });
    const { client } = await connectPair(server);
    const got: LoggingMessageNotificationParams[] = [];
    client.onLogMessage = (p) => got.push(p);
    await client.callTool({ name: 'plain' });
    assert.deepEqual(got, [{ level: 'info', data: 'hello' }]);
  });
});
