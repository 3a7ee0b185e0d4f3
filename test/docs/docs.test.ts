/**
 * The docs tell the truth: every relative link (and #anchor) in README.md and docs/ resolves;
 * every example a guide shows is the file the suite runs, and runs; the README's first examples
 * run as written; the curl session works against `erlmcp start`; every option docs/cli.md names
 * is in the command's --help.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, startCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(file, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: 240_000 }, (err, stdout, stderr) =>
      resolveRun({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (m) out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

describe('docs', { timeout: 180_000 }, () => {
  it('every relative link and anchor resolves', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const text = read(doc).replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const href = m[1]!;
        if (/^[a-z]+:/i.test(href)) continue; // external: not fetched (tests stay on 127.0.0.1)
        const [path, anchor] = href.split('#') as [string, string | undefined];
        const target = path ? resolve(ROOT, dirname(doc), path) : join(ROOT, doc);
        if (!existsSync(target)) {
          broken.push(`${doc}: ${href} (no ${relative(ROOT, target)})`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${doc}: ${href} (no heading #${anchor})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('each example a guide shows is the file the suite runs, and each example file is shown', () => {
    const shown = new Set<string>();
    for (const doc of DOCS) {
      for (const m of read(doc).matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) {
        shown.add(m[1]!);
        assert.equal(m[2], read(m[1]!).trimEnd(), `${doc} shows ${m[1]} as it is`);
      }
    }
    const files = readdirSync(join(ROOT, 'examples/docs')).map((f) => `examples/docs/${f}`);
    assert.deepEqual(files.filter((f) => !shown.has(f)), [], 'every example is in a guide');
  });

  const expected: Record<string, RegExp[]> = {
    tools: [/convert, shout, count, divide/, /fahrenheit: 212/, /progress 1,2,3/, /^true$/m],
    resources: [/config:\/\/motd/, /user 42/, /\[ '42' \]/, /updated: \[ 'config:\/\/motd' \]/],
    prompts: [/\[ 'translate', 'summarize' \]/, /Translate into German: good morning/],
    'sampling-elicitation': [/autumn leaves fall/, /booked for 4/],
    tasks: [/^working$/m, /report with 3 rows/, /^completed$/m],
    transports: [/Streamable HTTP: hello/, /WebSocket: hello/, /TCP: hello/],
    'scale-out': [/node A/, /200 served by node B/],
  };
  for (const [name, patterns] of Object.entries(expected)) {
    it(`examples/docs/${name}.ts runs and prints what its guide says`, async () => {
      const r = await run(process.execPath, [join(ROOT, `dist/examples/docs/${name}.js`)]);
      assert.equal(r.code, 0, r.stderr);
      for (const p of patterns) assert.match(r.stdout, p);
    });
  }

  it('the curl session works against erlmcp start', async () => {
    const s = await startCli(['--port', '0']);
    try {
      const r = await run('bash', [join(ROOT, 'examples/docs/curl-session.sh')], { env: { ...process.env, URL: s.urls.endpoint! } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^session: [0-9a-f-]{36}$/m);
      assert.match(r.stdout, /^initialized: 202$/m);
      assert.match(r.stdout, /"structuredContent":\{"sum":42\}/);
      assert.match(r.stdout, /^deleted: 204$/m);
    } finally {
      await s.stop();
    }
  });

  it("the README's stdio server, HTTP server and client run as written", async () => {
    const blocks = [...read('README.md').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const [server, http, client] = blocks;
    assert.ok(server && http && client);
    // Inside the package folder, so `erlmcp/…` resolves to this build (package self-reference).
    const dir = join(ROOT, 'dist', 'readme-check');
    mkdirSync(dir, { recursive: true });
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'server.mjs'), server);
    writeFileSync(join(dir, 'client.mjs'), `${client}\nconsole.log(JSON.stringify({ tools: tools.map((t) => t.name), result }));\n`);
    const r = await run(process.execPath, ['client.mjs'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { tools: ['forecast'], result: { content: [{ type: 'text', text: 'Lisbon: sunny, 21 °C' }] } });

    const withoutStdio = server.replace(/^await server\.connect\(new StdioServerTransport\(\)\);$/m, '');
    writeFileSync(
      join(dir, 'http.mjs'),
      `${withoutStdio}\n${http.replace('listen(3000,', 'listen(0,')}\nimport { Client } from 'erlmcp/client';\nimport { StreamableHttpClientTransport } from 'erlmcp/transports/http';\nconst c = new Client({ name: 't', version: '1' });\nawait c.connect(new StreamableHttpClientTransport(url));\nconsole.log((await c.callTool({ name: 'forecast', arguments: { city: 'Porto' } })).content[0].text);\nawait c.close();\nawait http.close();\n`,
    );
    const h = await run(process.execPath, ['http.mjs'], { cwd: dir });
    assert.equal(h.code, 0, h.stderr);
    assert.equal(h.stdout.trim(), 'Porto: sunny, 21 °C');
  });

  it('every option docs/cli.md names exists in the command it documents', async () => {
    const cli = read('docs/cli.md');
    for (const cmd of ['start', 'call', 'init', 'status', 'stop']) {
      const section = cli.split(/^## /m).find((s) => s.startsWith(`erlmcp ${cmd}`));
      assert.ok(section, `docs/cli.md has a section for erlmcp ${cmd}`);
      const help = (await runCli([cmd, '--help'])).stdout;
      // The usage block and the option tables: what the section claims the command accepts.
      const usage = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
      const tables = section.split('\n').filter((l) => l.startsWith('| `-'));
      const flags = new Set([...`${usage}\n${tables.join('\n')}`.matchAll(/(--[a-z][a-z-]*)/g)].map((m) => m[1]!));
      assert.ok(flags.size > 0);
      const missing = [...flags].filter((f) => !help.includes(f) && f !== '--help');
      assert.deepEqual(missing, [], `erlmcp ${cmd} --help lacks what docs/cli.md names`);
    }
  });
});
