#!/usr/bin/env node
// Runs every compiled `*.test.js` under dist/ with node's test runner. A file list (rather
// than a directory) keeps helper modules in test/ folders from being run as tests on Node 20.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const r of roots.length ? roots : ['dist']) walk(r);
files.sort();
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
