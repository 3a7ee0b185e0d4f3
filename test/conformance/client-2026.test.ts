/**
 * The 2026-07-28 client scenarios of conformance 0.2.0-alpha (`client --requirements 2026-07-28`)
 * against our conformance client (conformance/client.ts), which negotiates with
 * `versionNegotiation: 'auto'` and authorizes through OAuthClient (src/client/auth) as an app
 * would. One suite run; then each of the 32 scored scenarios must have run and pass with no
 * failure and no warning. The suite also runs unscored scenarios (auth extensions such as DPoP,
 * workload identity, enterprise-managed authorization, which we do not implement, and
 * json-schema-2020-12-preservation, which passes): they are reported, not asserted.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { countStatuses, problems, runSuite, scoredClientScenarios, SUITE_ALPHA, type SuiteRun } from './run.js';

const clientProgram = fileURLToPath(new URL('../../conformance/client.js', import.meta.url));
const SCORED = scoredClientScenarios('2026-07-28');

describe('conformance 0.2.0-alpha client --requirements 2026-07-28', { concurrency: false }, () => {
  let run: SuiteRun;

  before(async () => {
    run = await runSuite(SUITE_ALPHA, ['client', '--command', `${process.execPath} ${clientProgram}`, '--requirements', '2026-07-28'], 480_000);
    const passing = SCORED.filter((s) => run.scenarios.has(s) && problems(onlyScenario(run, s)).length === 0);
    const unscored = [...run.scenarios.keys()].filter((s) => !SCORED.includes(s));
    console.log(
      `conformance 0.2.0-alpha client --requirements 2026-07-28: ${passing.length}/${SCORED.length} scored scenarios pass; checks ${JSON.stringify(countStatuses(run))}; ` +
        `unscored: ${unscored.map((s) => `${s} ${problems(onlyScenario(run, s), ['FAILURE']).length === 0 ? 'passes' : 'fails'}`).join(', ')}`,
    );
  });

  test('the scored set is the 32 scenarios of the requirements file, and the suite exits 0', () => {
    assert.equal(SCORED.length, 32);
    assert.equal(run.code, 0, run.stdout.slice(-3000));
  });

  for (const scenario of SCORED) {
    test(`client scenario ${scenario} passes at 2026-07-28`, () => {
      const mine = onlyScenario(run, scenario);
      assert.ok(run.scenarios.has(scenario), `${scenario} did not run:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
      const bad = problems(mine);
      assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}`);
      assert.ok((countStatuses(mine).SUCCESS ?? 0) > 0, `no successful checks in ${scenario}`);
    });
  }
});

/** The run restricted to one scenario's checks. */
function onlyScenario(run: SuiteRun, scenario: string): SuiteRun {
  return { ...run, scenarios: new Map(run.scenarios.has(scenario) ? [[scenario, run.scenarios.get(scenario)!]] : []) };
}
