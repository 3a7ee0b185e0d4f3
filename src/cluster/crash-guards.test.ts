import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { installCrashGuards } from './crash-guards.js';

function harness(options: Parameters<typeof installCrashGuards>[0] = {}) {
  const target = new EventEmitter();
  const logs: string[] = [];
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const guards = installCrashGuards({ target, log: (l) => logs.push(l), exit: (c) => exited(c), name: 'test', ...options });
  return { target, logs, exit, guards };
}

describe('installCrashGuards', () => {
  it('logs an unhandled rejection with its stack and keeps going', () => {
    const h = harness();
    const error = new Error('stray rejection');
    h.target.emit('unhandledRejection', error, Promise.resolve());
    h.target.emit('unhandledRejection', 'a string', Promise.resolve());
    assert.equal(h.guards.rejections, 2);
    assert.match(h.logs[0]!, /unhandled promise rejection, serving continues: Error: stray rejection\n\s+at /);
    assert.match(h.logs[1]!, /non-error value thrown: a string/);
    h.guards.uninstall();
    assert.equal(h.target.listenerCount('unhandledRejection'), 0);
    assert.equal(h.target.listenerCount('uncaughtException'), 0);
  });

  it('on an uncaught exception, runs onFatal, then exits 1', async () => {
    const order: string[] = [];
    const h = harness({
      onFatal: async (e) => {
        order.push(`fatal:${(e as Error).message}`);
      },
    });
    h.target.emit('uncaughtException', new Error('thrown in a timer'), 'uncaughtException');
    assert.equal(await h.exit, 1);
    assert.deepEqual(order, ['fatal:thrown in a timer']);
    assert.match(h.logs.join('\n'), /uncaught exception; exiting so a supervisor can start a clean replacement: Error: thrown in a timer/);
  });

  it('exits even when onFatal hangs (bounded) or throws', async () => {
    const hung = harness({ onFatal: () => new Promise<void>(() => {}), fatalTimeoutMs: 20 });
    hung.target.emit('uncaughtException', new Error('x'));
    assert.equal(await hung.exit, 1);
    assert.match(hung.logs.join('\n'), /not answered within 20 ms/);
    const failing = harness({
      onFatal: () => {
        throw new Error('answering failed');
      },
    });
    failing.target.emit('uncaughtException', new Error('y'));
    assert.equal(await failing.exit, 1);
    assert.match(failing.logs.join('\n'), /failed to answer in-flight requests: Error: answering failed/);
  });

  it('a second uncaught exception while exiting exits at once', async () => {
    const h = harness({ onFatal: () => new Promise<void>(() => {}), fatalTimeoutMs: 60_000 });
    h.target.emit('uncaughtException', new Error('first'));
    h.target.emit('uncaughtException', new Error('second'));
    assert.equal(await h.exit, 1);
    assert.match(h.logs.join('\n'), /another uncaught exception while exiting: Error: second/);
  });

  it('in a real process: a stray rejection no longer ends it, a throw in a timer exits 1 after onFatal', async () => {
    const url = new URL('./crash-guards.js', import.meta.url).href;
    const script = `
      const { installCrashGuards } = await import(${JSON.stringify(url)});
      installCrashGuards({ onFatal: () => console.log('answered in-flight') });
      Promise.reject(new Error('not awaited'));
      setTimeout(() => console.log('still serving'), 10);
      setTimeout(() => { throw new Error('thrown in setTimeout'); }, 30);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 1);
    assert.match(out, /still serving\nanswered in-flight\n/);
    assert.match(err, /unhandled promise rejection, serving continues: Error: not awaited/);
    assert.match(err, /uncaught exception; exiting .*: Error: thrown in setTimeout/);
  });
});
