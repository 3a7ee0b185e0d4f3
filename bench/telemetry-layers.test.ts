/**
 * telemetry-layers.js, tiny: every layer's fixture mode (bench-telemetry.ts) starts, serves
 * tools/call, and gets a CPU-per-request line. No assertion about the figures themselves.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./telemetry-layers.js', import.meta.url));
const MODES = ['off', 'als', 'otel-span', 'otel-mw', 'otel-mw-prom', 'full0', 'full1'];

/** Runs telemetry-layers.js with `args`; its stdout. */
function layers(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [SCRIPT, ...args], { timeout: 170_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

test('telemetry-layers reports every layer', { timeout: 180_000 }, async () => {
  const out = await layers(['--rounds', '1', '--calls', '2000', '--children', '2', '--modes', MODES.join(',')]);
  for (const mode of MODES) {
    const m = new RegExp(`^\\s+${mode}\\s+([\\d.]+) µs\\s+([\\d.]+)×$`, 'm').exec(out);
    assert.ok(m, `no line for ${mode} in:\n${out}`);
    assert.ok(Number(m[1]) > 0, `${mode}: CPU per request ${m[1]}`);
  }
  assert.match(out, /^\s+off\s+[\d.]+ µs\s+1\.000×$/m);
});

test('telemetry-layers --tool-us calls the work tool, which costs that CPU per request', { timeout: 180_000 }, async () => {
  const out = await layers(['--rounds', '1', '--calls', '300', '--tool-us', '2000', '--modes', 'off,full1']);
  assert.match(out, /tool work 2000 µs/);
  const m = /^\s+off\s+([\d.]+) µs/m.exec(out);
  // The tool computes until the process has used 2 ms more CPU (GC threads may count towards it):
  // the server spends far more per request than the echo's ~50 µs.
  assert.ok(m && Number(m[1]) >= 1000, `CPU per request with the work tool: ${m?.[1]}\n${out}`);
  assert.match(out, /^\s+full1\s+[\d.]+ µs/m);
});
