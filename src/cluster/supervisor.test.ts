import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ErlmcpError } from '../protocol/errors.js';
import { Supervisor, type SupervisorOptions } from './supervisor.js';

const FAKE = fileURLToPath(new URL('./fixtures/fake-worker.js', import.meta.url));

/** Log lines, and a way to wait for one (looking at lines already logged from `from` on). */
function logLines() {
  const lines: string[] = [];
  const waiters: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];
  return {
    lines,
    log(line: string): void {
      lines.push(line);
      for (const w of [...waiters]) {
        if (lines.length - 1 >= w.from && w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    },
    waitFor(re: RegExp, from = 0): Promise<string> {
      const seen = lines.slice(from).find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ re, from, resolve }));
    },
  };
}

/** GET on a fresh connection (node:cluster may hand it to any worker). */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Supervisor', { timeout: 240_000 }, () => {
  const running: Supervisor[] = [];
  after(async () => {
    await Promise.all(running.map((s) => s.stop(0)));
  });

  function supervisor(o: Partial<SupervisorOptions> & { env?: SupervisorOptions['env'] }, log: (l: string) => void): Supervisor {
    const s = new Supervisor({ exec: FAKE, workers: 1, port: 0, host: '127.0.0.1', env: (port) => ({ FAKE_PORT: String(port) }), backoffMs: 10, log, ...o });
    running.push(s);
    return s;
  }

  it('keeps a worker through a stray rejection, and replaces it on the same port after a throw in a timer', async () => {
    const l = logLines();
    const s = supervisor({}, l.log);
    await s.start();
    const first = await get(s.port, '/pid');
    assert.deepEqual(s.workerPids(), [Number(first)]);
    await get(s.port, '/reject');
    assert.equal(await get(s.port, '/pid'), first, 'a stray rejection does not cost the worker');
    const mark = l.lines.length;
    await get(s.port, '/crash');
    await l.waitFor(new RegExp(`worker \\d+ serving \\(replaces ${first}\\)`), mark);
    assert.match(l.lines.slice(mark).join('\n'), new RegExp(`worker ${first} exited with code 1; starting a replacement in 10 ms \\(restart 1 of at most 5 within 60 s\\)`));
    const second = await get(s.port, '/pid');
    assert.notEqual(second, first);
    assert.deepEqual(s.workerPids(), [Number(second)]);
    await s.stop();
    assert.deepEqual(await s.done, { code: 0 });
    assert.throws(() => process.kill(Number(second), 0), /ESRCH/);
  });

  it('restarts up to maxRestarts times within the window, and gives up on the next crash', async () => {
    const l = logLines();
    const s = supervisor({ maxRestarts: 2, restartWindowMs: 60_000 }, l.log);
    await s.start();
    for (let restart = 1; restart <= 2; restart++) {
      const pid = await get(s.port, '/pid');
      const mark = l.lines.length;
      await get(s.port, '/crash');
      await l.waitFor(new RegExp(`serving \\(replaces ${pid}\\)`), mark);
    }
    await get(s.port, '/crash');
    const exit = await s.done;
    assert.equal(exit.code, 1);
    assert.match(exit.reason ?? '', /workers failed 3 times within 60 s \(at most 2 restarts allowed\); the last one exited with code 1\. Giving up\./);
    assert.deepEqual(s.workerPids(), []);
    await assert.rejects(get(s.port, '/pid'), /ECONNREFUSED/);
  });

  it('rejects start() with the reason a worker gives when it cannot start', async () => {
    const s = supervisor({ env: (port) => ({ FAKE_PORT: String(port), FAKE_FAIL: 'the module exports no server' }) }, () => {});
    await assert.rejects(s.start(), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT' && e.message === 'the module exports no server');
    assert.deepEqual(s.workerPids(), []);
  });

  it('a rolling restart replaces every worker one at a time while requests keep being answered', async () => {
    const l = logLines();
    const s = supervisor({ workers: 2 }, l.log);
    await s.start();
    const before = new Set(s.workerPids());
    assert.equal(before.size, 2);
    let failures = 0;
    let answered = 0;
    let done = false;
    const load = (async () => {
      while (!done) {
        try {
          await get(s.port, '/pid');
          answered++;
        } catch {
          failures++;
        }
      }
    })();
    await s.restart();
    done = true;
    await load;
    const afterPids = s.workerPids();
    assert.equal(afterPids.length, 2);
    for (const pid of afterPids) assert.ok(!before.has(pid), `worker ${pid} is new`);
    for (const pid of before) assert.throws(() => process.kill(pid, 0), /ESRCH/, `old worker ${pid} is gone`);
    assert.equal(failures, 0, `${failures} of ${answered + failures} requests failed during the rolling restart`);
    assert.ok(answered > 0);
    assert.match(l.lines.join('\n'), /rolling restart of 2 workers[\s\S]*draining worker[\s\S]*draining worker[\s\S]*rolling restart done/);
  });
});
