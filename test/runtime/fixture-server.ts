/**
 * The `--module` of the supervision, drain and rolling-restart tests: well- and badly-behaved
 * tools. Each worker process imports it and builds its own server.
 */
import * as z from 'zod';
import { McpServer } from '../../src/server/index.js';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
/** `slow` calls waiting for their `release`, by key (per worker process). */
const held = new Map<string, () => void>();

export function createServer(): McpServer {
  const server = new McpServer({ name: 'runtime-fixture', version: '1' });
  server.tool('whoami', { description: 'The pid of the worker serving the call.' }, () => text(String(process.pid)));
  server.tool('echo', { description: 'Echoes its text.', inputSchema: z.object({ text: z.string() }) }, ({ text: t }) => text(t));
  server.tool('stray_rejection', { description: 'Leaves a rejected promise unhandled, then answers.' }, () => {
    void Promise.reject(new Error('stray rejection from a tool'));
    return text('fired');
  });
  server.tool('throw_in_timer', { description: 'Throws inside a setTimeout while the call is still in flight.' }, async () => {
    setTimeout(() => {
      throw new Error('thrown inside setTimeout by a tool');
    }, 5);
    await new Promise<never>(() => {});
    return text('unreachable');
  });
  server.tool('slow', { description: 'Answers once `release` is called with the same key (or fails once its call is aborted).', inputSchema: z.object({ key: z.string() }) }, async ({ key }, ctx) => {
    const released = new Promise<void>((resolve, reject) => {
      held.set(key, resolve);
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    });
    console.error(`fixture: slow ${key} started in ${process.pid}`);
    await released;
    return text(`released ${key}`);
  });
  server.tool('release', { description: 'Releases the `slow` call with this key.', inputSchema: z.object({ key: z.string() }) }, ({ key }) => {
    const r = held.get(key);
    held.delete(key);
    r?.();
    return text(r ? 'released' : 'nothing held');
  });
  return server;
}
