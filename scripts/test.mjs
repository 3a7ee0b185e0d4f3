#!/usr/bin/env node
// Runs every compiled `*.test.js` under dist/ with node's test runner. A file list (rather
// than a directory) keeps helper modules in test/ folders from being run as tests on Node 20.
// The scale-out tests need Redis on 127.0.0.1:6379: when none answers and `redis-server` is
// installed, a private one (nothing kept on disk) runs for the duration of the suite.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
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

const reachable = () =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: 6379 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

let redis;
if (!(await reachable()) && spawnSync('redis-server', ['--version']).status === 0) {
  redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50 && !(await reachable()); i++) await new Promise((r) => setTimeout(r, 100));
  console.log('# started a private redis-server on 127.0.0.1:6379 for this run');
}

const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=600000', ...flags, ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  redis?.kill();
  process.exit(code ?? (signal ? 1 : 0));
});
