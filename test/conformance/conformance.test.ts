/**
 * The official conformance suite as our yardstick (../shared/notes/conformance.md):
 * - 0.1.16 `server --suite all`: every scenario, pending included, no failure, no warning;
 * - 0.2.0-alpha `server --requirements 2025-11-25`: every scored scenario passes;
 * - client scenarios against our conformance client program.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEverythingServer } from '../../examples/everything/server.js';
import { StreamableHttpServer } from '../../src/transports/http/index.js';
import { countStatuses, problems, runSuite, scoredServerScenarios, SUITE_ALPHA, SUITE_STABLE } from './run.js';

const clientProgram = fileURLToPath(new URL('../../conformance/client.js', import.meta.url));

describe('official conformance suite', { concurrency: false }, () => {
  let http: StreamableHttpServer;
  let url: string;

  before(async () => {
    // 0.1.16 sends MCP-Protocol-Version 2025-03-26 on 2025-11-25 sessions in two raw-fetch
    // scenarios; our default ('strict') answers those 400, so the suite runs with 'supported'.
    http = new StreamableHttpServer({ server: createEverythingServer(), protocolVersionHeader: 'supported' });
    ({ url } = await http.listen(0, '127.0.0.1'));
  });
  after(() => http.close());

  test('0.1.16 server --suite all: every scenario passes with no warnings', async () => {
    const run = await runSuite(SUITE_STABLE, ['server', '--url', url, '--suite', 'all']);
    const bad = problems(run);
    console.log(`conformance 0.1.16 server --suite all: ${run.total?.passed} passed, ${run.total?.failed} failed; checks ${JSON.stringify(countStatuses(run))}`);
    assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}\n${run.stdout.slice(-3000)}`);
    assert.ok(run.scenarios.size >= 30, `expected the full scenario set, saw ${run.scenarios.size}`);
    assert.equal(run.total?.failed, 0);
    assert.equal(run.code, 0, run.stdout.slice(-2000));
  });

  test('0.2.0-alpha server --requirements 2025-11-25: every scored scenario passes, session lifecycle included', async () => {
    const run = await runSuite(SUITE_ALPHA, ['server', '--url', url, '--requirements', '2025-11-25']);
    const bad = problems(run, ['FAILURE']);
    console.log(`conformance 0.2.0-alpha server --requirements 2025-11-25: ${run.total?.passed} passed, ${run.total?.failed} failed; checks ${JSON.stringify(countStatuses(run))}`);
    assert.deepEqual(bad, [], `failing checks:\n${bad.join('\n')}\n${run.stdout.slice(-3000)}`);
    assert.ok([...run.scenarios.keys()].some((s) => s.includes('session-lifecycle')), 'session lifecycle scenario ran');
    assert.equal(run.total?.failed, 0);
  });

  test('0.2.0-alpha server --requirements 2026-07-28: every scored scenario passes, wire-schema-valid clean, on the same server and port', async () => {
    const run = await runSuite(SUITE_ALPHA, ['server', '--url', url, '--requirements', '2026-07-28']);
    // Result folders are named server-<scenario>.
    const scored = scoredServerScenarios('2026-07-28').map((s) => `server-${s}`);
    assert.equal(scored.length, 37);
    const failing = problems(run, ['FAILURE']).filter((line) => scored.includes(line.split(':')[0]!));
    const ran = scored.filter((s) => run.scenarios.has(s));
    console.log(`conformance 0.2.0-alpha server --requirements 2026-07-28: ${ran.length}/${scored.length} scored scenarios ran; ${run.total?.passed} checks passed, ${run.total?.failed} failed (unscored included); checks ${JSON.stringify(countStatuses(run))}`);
    assert.deepEqual(failing, [], `failing scored checks:\n${failing.join('\n')}\n${run.stdout.slice(-3000)}`);
    assert.deepEqual(ran, scored, 'every scored scenario ran');
    // Unscored, but ours to keep: the tasks extension (SEP-2663) scenarios, MRTR inside tasks included.
    const tasks = [...run.scenarios.keys()].filter((s) => s.startsWith('server-tasks-'));
    assert.ok(tasks.length >= 10, `the tasks extension scenarios ran: ${tasks.join(', ')}`);
    const tasksFailing = problems(run, ['FAILURE']).filter((line) => line.startsWith('server-tasks-'));
    assert.deepEqual(tasksFailing, [], `failing tasks-extension checks:\n${tasksFailing.join('\n')}`);
    assert.equal(run.code, 0, run.stdout.slice(-2000));
  });

  for (const scenario of ['initialize', 'tools_call', 'elicitation-sep1034-client-defaults', 'sse-retry']) {
    test(`client scenario ${scenario} passes`, async () => {
      const run = await runSuite(SUITE_STABLE, ['client', '--command', `${process.execPath} ${clientProgram}`, '--scenario', scenario], 60_000);
      const bad = problems(run);
      console.log(`conformance 0.1.16 client ${scenario}: checks ${JSON.stringify(countStatuses(run))}`);
      assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
      assert.ok((countStatuses(run).SUCCESS ?? 0) > 0, `no successful checks:\n${run.stdout.slice(-2000)}`);
      assert.equal(run.code, 0, run.stdout.slice(-2000));
    });
  }

  // Client authorization (issue 13): the suite's auth scenarios (14 in 0.1.16's auth suite, the
  // same 14 scored by 0.2.0-alpha --requirements 2025-11-25) and the others 0.1.16 ships, through
  // the same client program (conformance/client.ts → OAuthClient).
  test('client auth suite passes with 0 warnings', async () => {
    const run = await runSuite(SUITE_STABLE, ['client', '--command', `${process.execPath} ${clientProgram}`, '--suite', 'auth'], 240_000);
    const bad = problems(run);
    console.log(`conformance 0.1.16 client --suite auth: ${run.scenarios.size} scenarios, checks ${JSON.stringify(countStatuses(run))}`);
    assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}\n${run.stdout.slice(-3000)}`);
    assert.equal(run.scenarios.size, 14);
  });

  for (const scenario of ['auth/client-credentials-basic', 'auth/client-credentials-jwt', 'auth/resource-mismatch', 'auth/offline-access-scope', 'auth/offline-access-not-supported', 'auth/2025-03-26-oauth-metadata-backcompat', 'auth/2025-03-26-oauth-endpoint-fallback']) {
    test(`client scenario ${scenario} passes`, async () => {
      const run = await runSuite(SUITE_STABLE, ['client', '--command', `${process.execPath} ${clientProgram}`, '--scenario', scenario], 60_000);
      const bad = problems(run);
      console.log(`conformance 0.1.16 client ${scenario}: checks ${JSON.stringify(countStatuses(run))}`);
      assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
      assert.ok((countStatuses(run).SUCCESS ?? 0) > 0);
    });
  }
});
