import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UriTemplate } from './uri-template.js';

// Variables and expected expansions from RFC 6570 §3.2 (composite maps aside).
const vars = {
  var: 'value',
  hello: 'Hello World!',
  path: '/foo/bar',
  list: ['red', 'green', 'blue'],
  x: '1024',
  y: '768',
  empty: '',
};

const cases: [string, string][] = [
  ['{var}', 'value'],
  ['{hello}', 'Hello%20World%21'],
  ['{+var}', 'value'],
  ['{+hello}', 'Hello%20World!'],
  ['{+path}/here', '/foo/bar/here'],
  ['here?ref={+path}', 'here?ref=/foo/bar'],
  ['X{#var}', 'X#value'],
  ['X{#hello}', 'X#Hello%20World!'],
  ['map?{x,y}', 'map?1024,768'],
  ['{x,hello,y}', '1024,Hello%20World%21,768'],
  ['{+x,hello,y}', '1024,Hello%20World!,768'],
  ['{+path,x}/here', '/foo/bar,1024/here'],
  ['{#x,hello,y}', '#1024,Hello%20World!,768'],
  ['X{.var}', 'X.value'],
  ['X{.x,y}', 'X.1024.768'],
  ['{/var}', '/value'],
  ['{/var,x}/here', '/value/1024/here'],
  ['{;x,y}', ';x=1024;y=768'],
  ['{;x,y,empty}', ';x=1024;y=768;empty'],
  ['{?x,y}', '?x=1024&y=768'],
  ['{?x,y,empty}', '?x=1024&y=768&empty='],
  ['?fixed=yes{&x}', '?fixed=yes&x=1024'],
  ['{&x,y,empty}', '&x=1024&y=768&empty='],
  ['{var:3}', 'val'],
  ['{var:30}', 'value'],
  ['{+path:6}/here', '/foo/b/here'],
  ['{list}', 'red,green,blue'],
  ['{list*}', 'red,green,blue'],
  ['{/list*}', '/red/green/blue'],
  ['{/list*,path:4}', '/red/green/blue/%2Ffoo'],
  ['{?list}', '?list=red,green,blue'],
  ['{?list*}', '?list=red&list=green&list=blue'],
  ['{undef}', ''],
  ['a{?undef}b', 'ab'],
];

describe('UriTemplate.expand (RFC 6570)', () => {
  for (const [template, expected] of cases) {
    it(`${template} → ${expected}`, () => {
      assert.equal(new UriTemplate(template).expand(vars), expected);
    });
  }
});

describe('UriTemplate.match', () => {
  it('extracts a simple path variable', () => {
    const t = new UriTemplate('test://template/{id}/data');
    assert.deepEqual(t.match('test://template/42/data'), { id: '42' });
    assert.deepEqual(t.match('test://template/a%20b/data'), { id: 'a b' });
  });

  it('does not let a simple variable span a path segment or match other URIs', () => {
    const t = new UriTemplate('test://template/{id}/data');
    assert.equal(t.match('test://template/4/2/data'), undefined);
    assert.equal(t.match('test://template/42/other'), undefined);
    assert.equal(t.match('xtest://template/42/data'), undefined);
    assert.equal(t.match('test://template/42/data/more'), undefined);
  });

  it('treats regex metacharacters in the literal part literally', () => {
    const t = new UriTemplate('file://a.b/{name}.json');
    assert.deepEqual(t.match('file://a.b/report.json'), { name: 'report' });
    assert.equal(t.match('file://aXb/report.json'), undefined);
    assert.equal(t.match('file://a.b/reportXjson'), undefined);
  });

  it('lets reserved expansion span slashes', () => {
    assert.deepEqual(new UriTemplate('file:///{+path}').match('file:///docs/a/b.txt'), { path: 'docs/a/b.txt' });
  });

  it('reads several variables and path-style expressions', () => {
    assert.deepEqual(new UriTemplate('db://{table}/{id}').match('db://users/7'), { table: 'users', id: '7' });
    assert.deepEqual(new UriTemplate('/users{/id}').match('/users/5'), { id: '5' });
    assert.deepEqual(new UriTemplate('{/list*}').match('/red/green/blue'), { list: ['red', 'green', 'blue'] });
  });

  it('reads query expressions in any order and tolerates their absence', () => {
    const t = new UriTemplate('search{?q,lang}');
    assert.deepEqual(t.match('search?q=cat&lang=en'), { q: 'cat', lang: 'en' });
    assert.deepEqual(t.match('search?lang=en&q=c%26t'), { q: 'c&t', lang: 'en' });
    assert.deepEqual(t.match('search'), {});
  });

  it('round-trips what expand produced', () => {
    const t = new UriTemplate('repo://{owner}/{name}/issues{?state,page}');
    const v = { owner: 'a b', name: 'x-y', state: 'open', page: '2' };
    assert.deepEqual(t.match(t.expand(v)), v);
  });
});

describe('UriTemplate parsing', () => {
  it('lists variable names and detects templates', () => {
    assert.deepEqual(new UriTemplate('a://{x}/{+y}{?p,q}').variableNames, ['x', 'y', 'p', 'q']);
    assert.equal(UriTemplate.isTemplate('a://{x}'), true);
    assert.equal(UriTemplate.isTemplate('a://plain'), false);
    assert.equal(UriTemplate.isTemplate('a://{}'), false);
  });

  it('rejects unbalanced braces and invalid variable names', () => {
    assert.throws(() => new UriTemplate('a://{x'), TypeError);
    assert.throws(() => new UriTemplate('a://x}'), TypeError);
    assert.throws(() => new UriTemplate('a://{}'), TypeError);
    assert.throws(() => new UriTemplate('a://{a b}'), TypeError);
  });
});
