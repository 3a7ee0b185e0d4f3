/**
 * Architectural layering, checked on the TypeScript sources. Bottom up:
 *
 *   protocol                      wire types, codec, errors, the Transport interface
 *   engine · schema · stores      JSON-RPC endpoint · tool-schema validators · state seams
 *   server · client               McpServer/ServerSession · Client (never each other)
 *   transports                    name server/client only as types; one transport reaches
 *                                 another only through transports/shared/
 *   features                      modules that install on the seam (rate limiting, protection, telemetry)
 *   cluster                       multi-process supervisor and its worker
 *   gateway                       one MCP endpoint aggregating many upstream servers (an
 *                                 McpServer in front of Clients)
 *   cli                           the erlmcp command
 *
 * Each top-level entry of src/ has a rule in RULES; a new folder without one fails the suite,
 * so does any import a rule does not allow. protocol and engine are also runtime-neutral: no
 * Node builtins, no Buffer/process globals.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/layering.test.js; the sources are at <repo>/src.
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

function stripComments(code: string): string {
  // Keeps line structure (for line numbers) while blanking comments; strings are left alone.
  return code.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Static imports/re-exports (multi-line included), side-effect imports, dynamic import() and require(). */
export function extractImports(code: string): ImportRef[] {
  const src = stripComments(code);
  const out: ImportRef[] = [];
  const lineOf = (index: number) => src.slice(0, index).split('\n').length;
  const statement = /(^|[;\n])\s*(import|export)(\s+type)?\b([^;'"]*?)\bfrom\s*['"]([^'"]+)['"]/g;
  for (let m = statement.exec(src); m; m = statement.exec(src)) {
    out.push({ specifier: m[5]!, typeOnly: m[3] !== undefined, line: lineOf(m.index + m[0].search(/import|export/)) });
  }
  const bare = /(^|[;\n])\s*import\s*['"]([^'"]+)['"]/g;
  for (let m = bare.exec(src); m; m = bare.exec(src)) out.push({ specifier: m[2]!, typeOnly: false, line: lineOf(m.index + m[0].search(/import/)) });
  const dynamic = /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = dynamic.exec(src); m; m = dynamic.exec(src)) out.push({ specifier: m[1]!, typeOnly: false, line: lineOf(m.index) });
  return out;
}

function sourceFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts') && !f.split(sep).includes('fixtures'))
    .map((f) => join(dir, f));
}

/** Top-level src directory an import lands in ('protocol', 'server'…), or 'node' / 'package'. */
function target(file: string, specifier: string): string {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier) || builtinModules.includes(specifier.split('/')[0]!)) return 'node';
  if (!specifier.startsWith('.')) return 'package';
  const rel = relative(SRC, resolve(dirname(file), specifier));
  return rel.startsWith('..') ? 'outside-src' : rel.split(sep)[0]!;
}

function layerOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!;
}

interface Rule {
  /** Layers whose code (values and types) it may import. Itself, Node builtins and packages are always allowed. */
  may: string[];
  /** Layers it may name only with `import type`. */
  typesOnly?: string[];
}

const BELOW_SERVER = ['protocol', 'engine', 'schema', 'stores'];
const BELOW_TRANSPORTS = [...BELOW_SERVER, 'server', 'client'];

/**
 * What each top-level entry of src/ may import. `outside-src` is a file outside src/: only the
 * CLI loads one, the bundled demo server (examples/everything, shipped in the package) that
 * `erlmcp start` runs when no module is given.
 */
export const RULES: Record<string, Rule> = {
  protocol: { may: [] },
  engine: { may: ['protocol'] },
  schema: { may: ['protocol'] },
  stores: { may: ['protocol'] },
  server: { may: BELOW_SERVER },
  client: { may: ['protocol', 'engine', 'schema'] },
  transports: { may: ['protocol', 'engine', 'stores'], typesOnly: ['server', 'client'] },
  features: { may: [...BELOW_TRANSPORTS, 'transports'] },
  cluster: { may: [...BELOW_TRANSPORTS, 'transports', 'features'] },
  gateway: { may: [...BELOW_TRANSPORTS, 'transports', 'features'] },
  cli: { may: [...BELOW_TRANSPORTS, 'transports', 'features', 'cluster', 'gateway', 'outside-src'] },
  /** The package's root entry (`erlmcp`): re-exports the public API. */
  'index.ts': { may: [...BELOW_TRANSPORTS, 'transports'] },
};

/** Top-level entries of src/ that carry code: folders, and .ts files directly under src/. */
function topLevelEntries(): string[] {
  return readdirSync(SRC, { withFileTypes: true })
    .filter((d) => d.isDirectory() || (d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') && !d.name.endsWith('.test.ts')))
    .map((d) => d.name)
    .sort();
}

function filesOf(entry: string): string[] {
  const path = join(SRC, entry);
  return statSync(path).isDirectory() ? sourceFiles(path) : [path];
}

interface Violation {
  file: string;
  line: number;
  specifier: string;
}

/** Imports in `code` (the source of `file`) that `rule` does not allow. */
export function ruleViolations(file: string, code: string, rule: Rule): Violation[] {
  const own = layerOf(file);
  const out: Violation[] = [];
  for (const ref of extractImports(code)) {
    const to = target(file, ref.specifier);
    if (to === own || to === 'node' || to === 'package') continue;
    if (rule.may.includes(to)) continue;
    if (ref.typeOnly && rule.typesOnly?.includes(to)) continue;
    out.push({ file: relative(SRC, file), line: ref.line, specifier: ref.specifier });
  }
  return out;
}

function violations(layers: string[], forbidden: (to: string, ref: ImportRef) => boolean): Violation[] {
  const out: Violation[] = [];
  for (const layer of layers) {
    for (const file of filesOf(layer)) {
      for (const ref of extractImports(readFileSync(file, 'utf8'))) {
        if (forbidden(target(file, ref.specifier), ref)) out.push({ file: relative(SRC, file), line: ref.line, specifier: ref.specifier });
      }
    }
  }
  return out;
}

/**
 * Inside src/transports: the transport folder (`http`, `stdio`…) a file or import lands in;
 * `(root)` for files directly under transports/ (memory.ts, connect-http.ts).
 */
function transportOf(path: string): string {
  const parts = relative(join(SRC, 'transports'), path).split(sep);
  return parts.length > 1 ? parts[0]! : '(root)';
}

/**
 * One transport uses another's pieces only through transports/shared/ (framing, HTTP checks,
 * Origin, SSE reader, fetch); shared/ depends on no transport. Files directly under transports/
 * (connect-http.ts combines HTTP with its legacy-SSE fallback) and public `index.ts` entries
 * (which re-export) may reach any transport.
 */
export function crossTransportViolations(file: string, code: string): Violation[] {
  const from = transportOf(file);
  if (from === '(root)' || basename(file) === 'index.ts') return [];
  const out: Violation[] = [];
  for (const ref of extractImports(code)) {
    if (!ref.specifier.startsWith('.') || target(file, ref.specifier) !== 'transports') continue;
    const to = transportOf(resolve(dirname(file), ref.specifier));
    if (to === from || (to === 'shared' && from !== 'shared')) continue;
    out.push({ file: relative(SRC, file), line: ref.line, specifier: ref.specifier });
  }
  return out;
}

describe('layering', () => {
  it('finds the sources', () => {
    for (const layer of Object.keys(RULES)) assert.ok(filesOf(layer).length > 0, `no sources under src/${layer}`);
    assert.equal(layerOf(join(SRC, 'server', 'server.ts')), 'server');
  });

  it('has a rule for every top-level entry of src/ (a new folder needs one)', () => {
    assert.deepEqual(topLevelEntries(), Object.keys(RULES).sort());
  });

  for (const [layer, rule] of Object.entries(RULES)) {
    const allowed = [...rule.may, ...(rule.typesOnly ?? []).map((t) => `${t} (types only)`)];
    it(`${layer} imports only ${allowed.length ? allowed.join(', ') : 'itself'}`, () => {
      const found = filesOf(layer).flatMap((file) => ruleViolations(file, readFileSync(file, 'utf8'), rule));
      assert.deepEqual(found, []);
    });
  }

  it('transports reach each other only through transports/shared/', () => {
    const found = sourceFiles(join(SRC, 'transports')).flatMap((file) => crossTransportViolations(file, readFileSync(file, 'utf8')));
    assert.deepEqual(found, []);
  });

  it('protocol and engine import no Node builtins', () => {
    assert.deepEqual(violations(['protocol', 'engine'], (to) => to === 'node'), []);
  });

  it('protocol and engine use no Node-only globals (Buffer, process)', () => {
    const hits: string[] = [];
    for (const layer of ['protocol', 'engine']) {
      for (const file of sourceFiles(join(SRC, layer))) {
        stripComments(readFileSync(file, 'utf8'))
          .split('\n')
          .forEach((l, i) => {
            if (/\bBuffer\s*\.|\bprocess\s*\./.test(l)) hits.push(`${relative(SRC, file)}:${i + 1}`);
          });
      }
    }
    assert.deepEqual(hits, []);
  });
});

describe('layering rules (the checker itself)', () => {
  const at = (...parts: string[]) => join(SRC, ...parts);

  it('flags a back-import: stores loading server code, even as a type', () => {
    const code = "import type { TaskStore } from '../../server/tasks.js';\nimport { isTerminal } from '../types.js';";
    assert.deepEqual(
      ruleViolations(at('stores', 'redis', 'task-store.ts'), code, RULES.stores!).map((v) => [v.specifier, v.line]),
      [['../../server/tasks.js', 1]],
    );
  });

  it('lets transports name server types but not load server code', () => {
    const file = at('transports', 'tcp', 'server.ts');
    assert.deepEqual(ruleViolations(file, "import type { McpServer } from '../../server/server.js';", RULES.transports!), []);
    assert.equal(ruleViolations(file, "import { McpServer } from '../../server/server.js';", RULES.transports!).length, 1);
  });

  it('flags one transport importing another one\'s internals, not shared/ or its own folder', () => {
    const file = at('transports', 'tcp', 'connection.ts');
    const code = ["import { tooLargeResponse } from '../stdio/server.js';", "import { serialize } from '../shared/framing.js';", "import { x } from './socket-write.js';"].join('\n');
    assert.deepEqual(crossTransportViolations(file, code).map((v) => v.specifier), ['../stdio/server.js']);
    assert.deepEqual(crossTransportViolations(at('transports', 'shared', 'http.ts'), "import { y } from '../http/server.js';").length, 1);
    assert.deepEqual(crossTransportViolations(at('transports', 'http', 'index.ts'), "export { connectHttp } from '../connect-http.js';"), []);
  });

  it('features/telemetry installs on the seams: it imports server and client only as types, and no lower layer imports features', () => {
    assert.deepEqual(violations([join('features', 'telemetry')], (to, ref) => (to === 'server' || to === 'client') && !ref.typeOnly), []);
    assert.deepEqual(violations(['protocol', 'engine', 'server', 'client', 'transports', 'stores'], (to) => to === 'features'), []);
  });
});

describe('import extraction (the checker itself)', () => {
  it('finds multi-line, type-only, re-export, side-effect, dynamic and require imports, and skips comments', () => {
    const code = [
      "import type { A } from '../server/index.js';",
      'import {',
      '  b,',
      '  type C,',
      "} from '../server/session.js';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      "import 'node:fs';",
      "const m = await import('node:crypto');",
      "const r = require('os');",
      "// import { x } from '../client/client.js';",
      "/* import { y } from '../client/client.js'; */",
    ].join('\n');
    assert.deepEqual(
      extractImports(code).map((r) => [r.specifier, r.typeOnly, r.line]),
      [
        ['../server/index.js', true, 1],
        ['../server/session.js', false, 2],
        ['./d.js', false, 6],
        ['./e.js', true, 7],
        ['node:fs', false, 8],
        ['node:crypto', false, 9],
        ['os', false, 10],
      ],
    );
  });

  it('classifies targets', () => {
    const file = join(SRC, 'transports', 'http', 'server.ts');
    assert.equal(target(file, '../../server/index.js'), 'server');
    assert.equal(target(file, '../shared/http.js'), 'transports');
    assert.equal(target(file, 'node:http'), 'node');
    assert.equal(target(file, 'crypto'), 'node');
    assert.equal(target(file, 'ajv'), 'package');
  });
});
