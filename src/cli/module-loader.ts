/**
 * Imports a user's module (a server for `--module`, a config file) with TypeScript support
 * and errors a person can act on:
 * - `.ts`/`.mts`/`.cts`/`.tsx` load through tsx's `tsImport` (a loader scoped to that import,
 *   so nothing else in the process is transformed, and it works in CommonJS-typed folders);
 * - a syntax error names file:line:column and shows the offending line with a caret;
 * - a module throwing while it loads is reported as "in your module <path>:" plus its stack.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';

const TS_EXTENSION = /\.(c|m)?tsx?$/i;

export function isTypeScript(path: string): boolean {
  return TS_EXTENSION.test(path);
}

type TsImport = (specifier: string, parent: string) => Promise<Record<string, unknown>>;

/** How the TypeScript loader is obtained (tests substitute one that fails). */
export type LoadTsImport = () => Promise<TsImport>;

const defaultTsLoader: LoadTsImport = async () => ((await import('tsx/esm/api')) as { tsImport: TsImport }).tsImport;

export function tsLoaderMissing(path: string, reason: string): CliError {
  return new CliError(
    `${path} is TypeScript, and the TypeScript loader (tsx) could not be loaded: ${reason}.\n` +
      '  Fix it in one of these ways:\n' +
      '  - install it beside erlmcp: npm install tsx\n' +
      '  - compile first (npx tsc) and pass the .js file to --module\n' +
      '  - run under a loader yourself: node --import tsx ./node_modules/erlmcp/dist/src/cli/main.js start …',
    EXIT_USAGE,
  );
}

/** Imports `path` (absolute). `what` names it in messages: "module", "config file". */
export async function importUserFile(path: string, what = 'module', loadTs: LoadTsImport = defaultTsLoader): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    if (!isTypeScript(path)) return (await import(url)) as Record<string, unknown>;
    let tsImport: TsImport;
    try {
      tsImport = await loadTs();
    } catch (e) {
      throw tsLoaderMissing(path, (e as Error).message);
    }
    const ns = await tsImport(url, import.meta.url);
    // In a CommonJS-typed folder tsx compiles the file to CommonJS: its exports object
    // (marked __esModule) arrives as `default`.
    const inner = ns.default as { __esModule?: unknown } | undefined;
    return inner && typeof inner === 'object' && inner.__esModule ? (inner as Record<string, unknown>) : ns;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw await explainLoadError(e, path, what);
  }
}

interface Located {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** esbuild (via tsx): "Transform failed with 1 error:\n/abs/file.ts:2:13: ERROR: Expected …". */
function fromTransformError(e: Error): Located | undefined {
  const m = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(e.message);
  return m ? { file: m[1]!, line: Number(m[2]), column: Number(m[3]) + 1, message: m[4]! } : undefined;
}

/** A SyntaxError V8 raised while parsing (its stack has only node-internal frames). */
function isParseError(e: unknown): boolean {
  if (!(e instanceof SyntaxError)) return false;
  return !((e as Error).stack ?? '').split('\n').some((l) => /^\s+at /.test(l) && !l.includes('node:internal'));
}

/**
 * Node's ESM loader gives a parse error no location; Node's own uncaught-error printer does.
 * A module graph with a syntax error never evaluates, so importing it in a child process to
 * read that report runs none of the user's code.
 */
function locateInChild(url: string): Promise<Located | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(url)})`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', () => resolve(undefined));
    child.on('close', () => {
      // "file:///abs/x.mjs:2\n  const x = {;\n             ^\n\nSyntaxError: Unexpected token ';'"
      const m = /^(file:\/\/\S+|\/\S+):(\d+)\n(.*)\n( *)\^+.*\n(?:[\s\S]*?\n)?SyntaxError: (.+)$/m.exec(err);
      if (!m) return resolve(undefined);
      const file = m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!;
      resolve({ file, line: Number(m[2]), column: m[4]!.length + 1, message: m[5]! });
    });
  });
}

/** "  2 | const x = {;\n    |            ^" */
function excerpt(file: string, line: number, column: number): string {
  try {
    const text = readFileSync(file, 'utf8').split(/\r?\n/)[line - 1];
    if (text === undefined) return '';
    const gutter = String(line);
    return `\n  ${gutter} | ${text}\n  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, column - 1))}^`;
  } catch {
    return '';
  }
}

async function explainLoadError(e: unknown, path: string, what: string): Promise<Error> {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: string }).code;
  let located = fromTransformError(err);
  if (!located && isParseError(err)) located = await locateInChild(pathToFileURL(path).href);
  if (located) {
    const where = `${located.file}:${located.line}:${located.column}`;
    const inDependency = located.file !== path ? ` (imported by your ${what} ${path})` : '';
    return new CliError(`syntax error in ${where}${inDependency}: ${located.message}${excerpt(located.file, located.line, located.column)}`, EXIT_FAILURE, { cause: err });
  }
  if (isParseError(err)) return new CliError(`syntax error in your ${what} ${path} (or a file it imports): ${err.message}. Run \`node --check ${path}\` to see where.`, EXIT_FAILURE, { cause: err });
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') return tsLoaderMissing(path, err.message);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    return new CliError(`your ${what} ${path} imports something that cannot be found: ${err.message}\n  Is the package installed (npm install) in the folder of ${path} or above it?`, EXIT_FAILURE, { cause: err });
  }
  if (code === 'ERR_REQUIRE_ESM' || /Cannot use import statement outside a module|require is not defined in ES module scope/.test(err.message)) {
    return new CliError(`your ${what} ${path} mixes module systems: ${err.message}\n  erlmcp is ESM-only: use import/export and .mjs, or "type": "module" in the nearest package.json.`, EXIT_FAILURE, { cause: err });
  }
  const frame = firstUserFrame(err.stack ?? '');
  const shown = frame ? `\n  at ${frame.file}:${frame.line}:${frame.column}${excerpt(frame.file, frame.line, frame.column)}` : '';
  return new CliError(`in your ${what} ${path}: ${err.name}: ${err.message}${shown}\n${indent(userStack(err.stack ?? `${err.name}: ${err.message}`))}`, EXIT_FAILURE, { cause: err });
}

/** erlmcp's own compiled and source files: frames there are not where the user's mistake is. */
const OWN_DIRS = ['dist/src/', 'src/'].map((d) => fileURLToPath(new URL(`../../../${d}`, import.meta.url)));

/** The stack without the frames of Node's loader and of erlmcp's CLI (which only say "erlmcp imported it"). */
export function userStack(stack: string): string {
  const own = (l: string) => l.includes('(node:internal') || / at node:internal/.test(l) || OWN_DIRS.some((d) => l.includes(d) || l.includes(pathToFileURL(d).href));
  return stack
    .split('\n')
    .filter((l) => !/^\s+at /.test(l) || !own(l))
    .join('\n');
}

/** The first stack frame in the user's code (not Node's, not erlmcp's, not a dependency's). */
export function firstUserFrame(stack: string): { file: string; line: number; column: number } | undefined {
  for (const m of stack.matchAll(/^\s+at (?:.*? \()?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/gm)) {
    const file = m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!;
    if (file.includes('/node_modules/') || OWN_DIRS.some((d) => file.startsWith(d))) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

export function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}
