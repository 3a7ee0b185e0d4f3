/**
 * The 2026-07-28 non-auth client scenarios of conformance 0.2.0-alpha against our conformance
 * client (conformance/client.ts), which negotiates with `versionNegotiation: 'auto'`: each must
 * pass with no failure and no warning.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { countStatuses, problems, runSuite, SUITE_ALPHA } from './run.js';

const clientProgram = fileURLToPath(new URL('../../conformance/client.js', import.meta.url));

export const MODERN_CLIENT_SCENARIOS = [
  'tools_call',
  'request-metadata',
  'sep-2322-client-request-state',
  'http-standard-headers',
  'http-custom-headers',
  'http-invalid-tool-headers',
  'json-schema-ref-no-deref',
  // Run but not scored for 2026-07-28 (added after the release); it passes too.
  'json-schema-2020-12-preservation',
];

describe('conformance 0.2.0-alpha client scenarios, 2026-07-28', { concurrency: false }, () => {
  for (const scenario of MODERN_CLIENT_SCENARIOS) {
    test(`client scenario ${scenario} passes at 2026-07-28`, async () => {
      const run = await runSuite(SUITE_ALPHA, ['client', '--command', `${process.execPath} ${clientProgram}`, '--scenario', scenario, '--spec-version', '2026-07-28'], 90_000);
      const bad = problems(run);
      console.log(`conformance 0.2.0-alpha client ${scenario} (2026-07-28): checks ${JSON.stringify(countStatuses(run))}`);
      assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
      assert.ok((countStatuses(run).SUCCESS ?? 0) > 0, `no successful checks:\n${run.stdout.slice(-2000)}`);
      assert.equal(run.code, 0, run.stdout.slice(-2000));
    });
  }
});
