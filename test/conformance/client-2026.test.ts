/**
 * The 2026-07-28 client scenarios of conformance 0.2.0-alpha (`client --requirements 2026-07-28`)
 * against our conformance client (conformance/client.ts), which negotiates with
 * `versionNegotiation: 'auto'` and authorizes through OAuthClient (src/client/auth) as an app
 * would. One suite run (its scenarios run side by side, which keeps the file inside the test
 * timeout on a busy machine); then each of the 32 scored scenarios must have run and passed with
 * no failure and no warning, and so must the unscored ones we support (below). The unscored DPoP
 * scenarios (auth/dpop, auth/dpop-nonce) run too and fail: OAuthClient does not do DPoP.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { countStatuses, problems, runSuite, scoredClientScenarios, SUITE_ALPHA, type SuiteRun } from './run.js';

const clientProgram = fileURLToPath(new URL('../../conformance/client.js', import.meta.url));
const SCORED = scoredClientScenarios('2026-07-28');

/** Run and reported by `--requirements 2026-07-28` but not scored; these pass too. */
const UNSCORED_SUPPORTED = [
  'json-schema-2020-12-preservation',
  'auth/client-credentials-basic',
  'auth/client-credentials-jwt',
  'auth/wif-jwt-bearer', // the jwt_bearer grant with a workload identity token
  'auth/enterprise-managed-authorization', // requestIdJag at the IdP, then the jwt_bearer grant
];

/** The run restricted to one scenario's checks. */
function only(run: SuiteRun, scenario: string): SuiteRun {
  const checks = run.scenarios.get(scenario);
  return { ...run, scenarios: new Map(checks ? [[scenario, checks]] : []) };
}

describe('conformance 0.2.0-alpha client --requirements 2026-07-28', { concurrency: false }, () => {
  let run: SuiteRun;

  before(async () => {
    run = await runSuite(SUITE_ALPHA, ['client', '--command', `${process.execPath} ${clientProgram}`, '--requirements', '2026-07-28', '--timeout', '200000'], 280_000);
    const passing = SCORED.filter((s) => run.scenarios.has(s) && problems(only(run, s)).length === 0);
    const failingUnscored = [...run.scenarios.keys()].filter((s) => !SCORED.includes(s) && problems(only(run, s), ['FAILURE']).length > 0);
    console.log(`conformance 0.2.0-alpha client --requirements 2026-07-28: ${passing.length}/${SCORED.length} scored scenarios pass; checks ${JSON.stringify(countStatuses(run))}; unscored failing: ${failingUnscored.join(', ') || 'none'}`);
  });

  test('the scored set is the 32 client scenarios of the requirements file (25 auth), and the suite exits 0', () => {
    assert.equal(SCORED.length, 32);
    assert.equal(SCORED.filter((s) => s.startsWith('auth/')).length, 25);
    assert.equal(run.code, 0, run.stdout.slice(-3000));
  });

  for (const scenario of [...SCORED, ...UNSCORED_SUPPORTED]) {
    test(`client scenario ${scenario} passes at 2026-07-28${SCORED.includes(scenario) ? '' : ' (unscored)'}`, () => {
      assert.ok(run.scenarios.has(scenario), `${scenario} did not run:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
      const mine = only(run, scenario);
      const bad = problems(mine);
      assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}`);
      assert.ok((countStatuses(mine).SUCCESS ?? 0) > 0, `no successful checks in ${scenario}`);
    });
  }
});
