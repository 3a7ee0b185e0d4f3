/**
 * SEP-2243 on the client: header values and the Base64 sentinel, which `x-mcp-header`
 * annotations are valid, and how annotated arguments become Mcp-Param-* headers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeHeaderValue } from './modern.js';
import { encodeHeaderValue, paramHeadersOf, paramHeaderValues, standardHeaders } from './modern-headers.js';

const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

describe('SEP-2243 client headers', () => {
  it('plain ASCII goes as-is; non-ASCII, control characters, edge whitespace and sentinel look-alikes are Base64', () => {
    assert.equal(encodeHeaderValue('us west 1'), 'us west 1');
    assert.equal(encodeHeaderValue(''), '');
    for (const v of ['Hello, 世界', ' padded ', ' lead', 'trail ', 'line1\nline2', 'a\r\nb', 'a\tb', '=?base64?abc?=']) {
      assert.equal(encodeHeaderValue(v), b64(v));
      assert.equal(decodeHeaderValue(encodeHeaderValue(v)), v, 'the server side decodes it back');
    }
  });

  it('standard headers mirror the body: Mcp-Method always, Mcp-Name for tools/call, prompts/get, resources/read', () => {
    assert.deepEqual(standardHeaders({ method: 'tools/list' }, '2026-07-28'), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' });
    assert.equal(standardHeaders({ method: 'tools/call', params: { name: 'my-hyphenated-tool' } }, 'v')['mcp-name'], 'my-hyphenated-tool');
    assert.equal(standardHeaders({ method: 'resources/read', params: { uri: 'file:///path/to/file%20name.txt' } }, 'v')['mcp-name'], 'file:///path/to/file%20name.txt');
    assert.equal(standardHeaders({ method: 'prompts/get', params: { name: 'é' } }, 'v')['mcp-name'], b64('é'));
  });

  it('valid annotations: tokens on string/integer/boolean properties reached through properties', () => {
    const schema = { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, nested: { type: 'object', properties: { n: { type: 'integer', 'x-mcp-header': 'N' } } }, q: { type: 'string' } } };
    assert.deepEqual(paramHeadersOf(schema), [
      { path: ['region'], name: 'Region' },
      { path: ['nested', 'n'], name: 'N' },
    ]);
    assert.deepEqual(paramHeadersOf({ type: 'object' }), []);
  });

  it('invalid annotations make the whole tool invalid', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['empty', { v: { type: 'string', 'x-mcp-header': '' } }],
      ['object', { v: { type: 'object', 'x-mcp-header': 'V' } }],
      ['array', { v: { type: 'array', 'x-mcp-header': 'V' } }],
      ['null', { v: { type: 'null', 'x-mcp-header': 'V' } }],
      ['number', { v: { type: 'number', 'x-mcp-header': 'V' } }],
      ['duplicate', { a: { type: 'string', 'x-mcp-header': 'MyField' }, b: { type: 'string', 'x-mcp-header': 'myfield' } }],
      ['space', { v: { type: 'string', 'x-mcp-header': 'My Field' } }],
      ['colon', { v: { type: 'string', 'x-mcp-header': 'My:Field' } }],
      ['non-ASCII', { v: { type: 'string', 'x-mcp-header': 'Région' } }],
      ['control', { v: { type: 'string', 'x-mcp-header': 'Region\t1' } }],
    ];
    for (const [what, properties] of bad) assert.equal(paramHeadersOf({ type: 'object', properties }), undefined, what);
  });

  it('values: strings (encoded), integers in decimal, booleans; null/absent omitted; "" sent empty', () => {
    const ann = paramHeadersOf({
      type: 'object',
      properties: { s: { type: 'string', 'x-mcp-header': 'S' }, i: { type: 'integer', 'x-mcp-header': 'I' }, b: { type: 'boolean', 'x-mcp-header': 'B' }, e: { type: 'string', 'x-mcp-header': 'E' }, n: { type: 'string', 'x-mcp-header': 'Null' }, m: { type: 'string', 'x-mcp-header': 'Method' } },
    })!;
    assert.deepEqual(paramHeaderValues(ann, { s: ' x', i: 42, b: false, e: '', n: null, m: 'test-method' }), {
      'mcp-param-s': b64(' x'),
      'mcp-param-i': '42',
      'mcp-param-b': 'false',
      'mcp-param-e': '',
      'mcp-param-method': 'test-method',
    });
  });
});
