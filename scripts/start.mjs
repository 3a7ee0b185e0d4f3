#!/usr/bin/env node
// `npm start [-- options]`: `erlmcp start` from dist/, building first only when a source is
// newer than its compiled output (a full `tsc` takes ~10-30 s on a small machine; the check
// takes milliseconds). Arguments after `--` go to `erlmcp start` (see docs/cli.md).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1);

/** The first source under `dirs` whose compiled .js is missing or older, or undefined. */
function staleSource(dirs) {
  const config = Math.max(mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json')));
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'fixtures') {
          const found = walk(p);
          if (found) return found;
        }
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts')) {
        const out = join(root, 'dist', relative(root, p)).replace(/\.ts$/, '.js');
        const built = mtime(out);
        if (built < mtimeOf(p) || built < config) return relative(root, p);
      }
    }
    return undefined;
  };
  const mtimeOf = (p) => statSync(p).mtimeMs;
  for (const d of dirs) {
    const found = walk(join(root, d));
    if (found) return found;
  }
  return undefined;
}

const stale = staleSource(['src', 'examples/everything']);
if (stale) {
  process.stderr.write(`erlmcp: ${stale} is newer than dist/, building (tsc -p tsconfig.build.json)…\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
process.argv.splice(2, 0, 'start');
await import('../dist/src/cli/main.js');
