/**
 * `erlmcp init [dir]`: scaffolds a TypeScript MCP server project (one tool, one resource, one
 * prompt, a test over the in-memory transport, tsconfig, scripts, README), then installs its
 * dependencies unless `--no-install`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';
import type { CliIO } from '../program.js';
import { version } from '../version.js';
import { GITIGNORE, packageJson, readme, serverTs, TEST_TS, TSCONFIG, type TemplateOptions } from './templates.js';

export interface InitOptions {
  transport: 'stdio' | 'http';
  name?: string;
  install: boolean;
  force?: boolean;
  /** Dependency spec for erlmcp (default ^<this version>). */
  erlmcp?: string;
}

/** Versions the scaffold pins: the ones this package is built and tested with. */
const VERSIONS = { zod: '^4.1.0', typescript: '^5.9.3', tsx: '^4.23.15', typesNode: '^20.19.0' };

/** npm package names: lower case, no spaces (the folder name made into one). */
export function packageName(text: string): string {
  const n = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return n || 'mcp-server';
}

/** Writes the project; returns the files written (relative to `dir`). */
export function scaffold(dir: string, o: InitOptions): string[] {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0 && !o.force) {
    throw new CliError(`${target} is not empty: choose a new folder (erlmcp init my-server) or pass --force to write into it`, EXIT_USAGE);
  }
  const spec = o.erlmcp ?? `^${version()}`;
  const t: TemplateOptions = { name: packageName(o.name ?? basename(target)), transport: o.transport, erlmcpSpec: spec, versions: VERSIONS };
  const files: Record<string, string> = {
    'package.json': packageJson(t),
    'tsconfig.json': TSCONFIG,
    'src/server.ts': serverTs(t),
    'test/server.test.ts': TEST_TS,
    'README.md': readme(t),
    '.gitignore': GITIGNORE,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(target, name, '..'), { recursive: true });
    writeFileSync(join(target, name), text);
  }
  return Object.keys(files);
}

/** `npm install` in `dir`, its output shown as it comes (it is the long part). */
function npmInstall(dir: string, io: CliIO): Promise<void> {
  const npmCli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : undefined;
  const [cmd, args] = npmCli ? [process.execPath, [npmCli]] : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
  return new Promise((resolveInstall, reject) => {
    const child = spawn(cmd, [...args, 'install', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    child.stdout.on('data', (d: Buffer) => io.err(d.toString()));
    child.stderr.on('data', (d: Buffer) => io.err(d.toString()));
    child.on('error', (e) => reject(new CliError(`could not run npm install: ${e.message}. Run it yourself in ${dir}.`, EXIT_FAILURE)));
    child.on('close', (code) => (code === 0 ? resolveInstall() : reject(new CliError(`npm install failed (exit code ${code}) in ${dir}: see its output above`, EXIT_FAILURE))));
  });
}

export function addInitCommand(program: Command, io: CliIO): void {
  program
    .command('init')
    .description('Create a TypeScript MCP server project: one tool, one resource, one prompt, a test')
    .argument('[dir]', 'folder to create', '.')
    .addOption(new Option('-t, --transport <kind>', 'how `npm start` serves it').choices(['stdio', 'http']).default('http'))
    .option('--name <name>', 'package and server name (default: the folder name)')
    .option('--no-install', 'do not run npm install')
    .option('--force', 'write into a folder that is not empty (overwrites the scaffold files)')
    .option('--erlmcp <spec>', 'dependency spec for erlmcp, e.g. a local tarball file:../erlmcp-0.1.0.tgz (default: ^this version)')
    .action(async (dir: string, opts: InitOptions) => {
      const files = scaffold(dir, opts);
      const where = relative(process.cwd(), resolve(dir)) || '.';
      io.out(`erlmcp: created ${files.length} files in ${where}:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
      if (opts.install) {
        io.err('erlmcp: installing dependencies (npm install)…\n');
        await npmInstall(resolve(dir), io);
      }
      const cd = where === '.' ? '' : `cd ${where} && `;
      io.out(`\nNext:\n  ${cd}${opts.install ? '' : 'npm install && '}npm test\n  npm start${opts.transport === 'http' ? '          # http://127.0.0.1:3000/mcp' : '          # on stdin/stdout'}\n`);
    });
}
