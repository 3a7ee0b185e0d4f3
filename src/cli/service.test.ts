import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../../test/runtime/cli-process.js';
import { ErlmcpError } from '../protocol/errors.js';
import { signalRestart, superviseService, writePidFile } from './service.js';

const dir = mkdtempSync(join(tmpdir(), 'erlmcp-service-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('superviseService', () => {
  it('SIGHUP asks for a rolling restart; a failed one is logged, the service goes on', async () => {
    const target = new EventEmitter();
    const logs: string[] = [];
    let restarts = 0;
    const remove = superviseService(
      {
        restart: async () => {
          restarts++;
          if (restarts === 2) throw new Error('replacement exited during startup');
        },
        done: new Promise(() => {}),
      },
      { target, log: (l) => logs.push(l), exit: () => assert.fail('must not exit') },
    );
    target.emit('SIGHUP');
    target.emit('SIGHUP');
    await new Promise((r) => setImmediate(r));
    assert.equal(restarts, 2);
    assert.match(logs.join('\n'), /rolling restart stopped: replacement exited during startup \(the workers not yet replaced keep serving\)/);
    remove();
    assert.equal(target.listenerCount('SIGHUP'), 0);
  });

  it('exits with the supervisor code and says why when it gave up', async () => {
    const logs: string[] = [];
    const exited = new Promise<number>((resolve) => {
      superviseService({ done: Promise.resolve({ code: 1, reason: 'workers failed 6 times within 60 s' }) }, { target: new EventEmitter(), log: (l) => logs.push(l), exit: resolve });
    });
    assert.equal(await exited, 1);
    assert.match(logs.join('\n'), /the service stopped: workers failed 6 times within 60 s/);
  });
});

describe('pid file and erlmcp restart', { timeout: 120_000 }, () => {
  it('writes the pid, removes only its own file, and signalRestart sends SIGHUP to it', () => {
    const file = join(dir, 'a.pid');
    const remove = writePidFile(file);
    assert.equal(readFileSync(file, 'utf8'), `${process.pid}\n`);
    const sent: [number, string][] = [];
    assert.equal(
      signalRestart(file, (pid, s) => sent.push([pid, s])),
      process.pid,
    );
    assert.deepEqual(sent, [[process.pid, 'SIGHUP']]);
    remove();
    assert.equal(existsSync(file), false);
  });

  it('refuses a missing or garbled pid file, and a pid with no process', () => {
    assert.throws(() => signalRestart(join(dir, 'missing.pid')), (e: unknown) => e instanceof ErlmcpError && /cannot read the pid file/.test(e.message));
    const bad = join(dir, 'bad.pid');
    writeFileSync(bad, 'not a pid\n');
    assert.throws(() => signalRestart(bad), /holds no pid/);
    const gone = join(dir, 'gone.pid');
    writeFileSync(gone, '2147483646\n');
    assert.throws(() => signalRestart(gone), /no erlmcp process 2147483646/);
  });

  it('erlmcp restart exits 1 with the reason when there is nothing to restart; bad limits are usage errors', async () => {
    const r = await runCli(['restart', '--pid-file', join(dir, 'missing.pid')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read the pid file/);
    for (const [flag, value] of [
      ['--drain-timeout', '1e3'],
      ['--max-restarts', 'x'],
      ['--restart-window', '1.5'],
    ] as const) {
      const bad = await runCli(['start', flag, value]);
      assert.equal(bad.code, 2, `${flag} ${value}: ${bad.stderr}`);
      assert.match(bad.stderr, /Expected an integer from 0 to/);
    }
    const help = await runCli(['start', '--help']);
    for (const flag of ['--drain-timeout <ms>', '--max-restarts <n>', '--restart-window <ms>', '--pid-file <path>']) assert.ok(help.stdout.includes(flag), flag);
  });
});
