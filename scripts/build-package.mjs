#!/usr/bin/env node
// `npm pack`/`npm publish` (prepack): a clean build of what the package ships — src/ and the
// everything example, without tests or test fixtures (tsconfig.build.json) — so no stale or
// test-only file from an earlier full build (tsconfig.json) ends up in the tarball.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const dir of ['dist/src', 'dist/examples']) rmSync(new URL(`../${dir}`, import.meta.url), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
