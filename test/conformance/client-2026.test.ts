/**
 * The 2026-07-28 client scenarios of conformance 0.2.0-alpha against our conformance client
 * (conformance/client.ts), which negotiates with `versionNegotiation: 'auto'` and authorizes
 * through OAuthClient (src/client/auth) as an app would. Every one of the 32 scenarios scored by
 * `--requirements 2026-07-28` must pass with no failure and no warning, and so must the unscored
 * ones we support (below). The unscored DPoP scenarios (auth/dpop, auth/dpop-nonce) are not run:
 * OAuthClient does not do DPoP.
 *
 * One scenario per suite run, one run at a time: `--requirements` runs all of them at once, and
 * on a busy 2-core machine 39 clients starting together can take longer than a request timeout.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { countStatuses, problems, runSuite, scoredClientScenarios, SUITE_ALPHA } from './run.js';

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

describe('conformance 0.2.0-alpha client scenarios, 2026-07-28', { concurrency: false }, () => {
  test('the scored set is the 32 client scenarios of the requirements file', () => {
    assert.equal(SCORED.length, 32);
    assert.ok(SCORED.filter((s) => s.startsWith('auth/')).length === 25);
  });

  for (const scenario of [...SCORED, ...UNSCORED_SUPPORTED]) {
    test(`client scenario ${scenario} passes at 2026-07-28${SCORED.includes(scenario) ? '' : ' (unscored)'}`, async () => {
      const run = await runSuite(
        SUITE_ALPHA,
        // Extension scenarios are on no spec timeline: --force runs them at 2026-07-28, as --requirements does.
        ['client', '--command', `${process.execPath} ${clientProgram}`, '--scenario', scenario, '--spec-version', '2026-07-28', '--timeout', '150000', ...(SCORED.includes(scenario) ? [] : ['--force'])],
        180_000,
      );
      const bad = problems(run);
      console.log(`conformance 0.2.0-alpha client ${scenario} (2026-07-28): checks ${JSON.stringify(countStatuses(run))}`);
      assert.ok(run.scenarios.has(scenario), `${scenario} did not run:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
      assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
      assert.ok((countStatuses(run).SUCCESS ?? 0) > 0, `no successful checks:\n${run.stdout.slice(-2000)}`);
      assert.equal(run.code, 0, run.stdout.slice(-2000));
    });
  }
});
