/**
 * Architectural layering, checked on the TypeScript sources:
 * - protocol and engine are runtime-neutral: no Node builtins, and no imports from the layers
 *   built on them (server, client, transports, stores); protocol does not import engine;
 * - server and client never import each other;
 * - transports may name server types (`import type`) but never load server code.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

interface Violation {
  file: string;
  line: number;
  specifier: string;
}

function violations(layers: string[], forbidden: (to: string, ref: ImportRef) => boolean): Violation[] {
  const out: Violation[] = [];
  for (const layer of layers) {
    for (const file of sourceFiles(join(SRC, layer))) {
      for (const ref of extractImports(readFileSync(file, 'utf8'))) {
        if (forbidden(target(file, ref.specifier), ref)) out.push({ file: relative(SRC, file), line: ref.line, specifier: ref.specifier });
      }
    }
  }
  return out;
}

describe('layering', () => {
  it('finds the sources', () => {
    for (const layer of ['protocol', 'engine', 'server', 'client', 'transports']) {
      assert.ok(sourceFiles(join(SRC, layer)).length > 0, `no sources under src/${layer}`);
    }
    assert.equal(layerOf(join(SRC, 'server', 'server.ts')), 'server');
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

  it('protocol and engine import nothing from server, client, transports or stores', () => {
    const upper = new Set(['server', 'client', 'transports', 'stores']);
    assert.deepEqual(violations(['protocol', 'engine'], (to) => upper.has(to)), []);
  });

  it('protocol does not import the engine', () => {
    assert.deepEqual(violations(['protocol'], (to) => to === 'engine'), []);
  });

  it('server does not import client', () => {
    assert.deepEqual(violations(['server'], (to) => to === 'client'), []);
  });

  it('client does not import server', () => {
    assert.deepEqual(violations(['client'], (to) => to === 'server'), []);
  });

  it('transports import server code only as types', () => {
    assert.deepEqual(violations(['transports'], (to, ref) => to === 'server' && !ref.typeOnly), []);
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
