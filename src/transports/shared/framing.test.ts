import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_MESSAGE_BYTES, NewlineFramer, recoverId, serialize, type OverflowInfo } from './framing.js';

function collect(max?: number): { framer: NewlineFramer; lines: string[]; overflows: OverflowInfo[] } {
  const lines: string[] = [];
  const overflows: OverflowInfo[] = [];
  const framer = new NewlineFramer({ maxMessageBytes: max, onframe: (l) => lines.push(l), onoverflow: (o) => overflows.push(o) });
  return { framer, lines, overflows };
}

/** A JSON-RPC request line (without newline) of exactly `bytes` bytes. */
function requestOfSize(bytes: number, id: string | number): string {
  const base = JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: { pad: '' } });
  const pad = bytes - Buffer.byteLength(base);
  assert.ok(pad >= 0);
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: { pad: 'x'.repeat(pad) } });
}

describe('NewlineFramer', () => {
  it('reassembles a message split across chunks', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('{"a":'));
    framer.push(Buffer.from('1}'));
    assert.deepEqual(lines, []);
    framer.push(Buffer.from('\n'));
    assert.deepEqual(lines, ['{"a":1}']);
  });

  it('delivers many messages from one chunk, in order, keeping the trailing partial', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('{"n":1}\n{"n":2}\n{"n":3}\n{"n":'));
    assert.deepEqual(lines, ['{"n":1}', '{"n":2}', '{"n":3}']);
    assert.equal(framer.pendingBytes, 5);
    framer.push(Buffer.from('4}\n'));
    assert.deepEqual(lines.at(-1), '{"n":4}');
  });

  it('delivers the same messages when fed one byte at a time', () => {
    const { framer, lines } = collect();
    const text = '{"jsonrpc":"2.0","method":"a"}\n{"jsonrpc":"2.0","id":7,"method":"b"}\n';
    for (const byte of Buffer.from(text)) framer.push(Buffer.from([byte]));
    assert.deepEqual(lines, ['{"jsonrpc":"2.0","method":"a"}', '{"jsonrpc":"2.0","id":7,"method":"b"}']);
  });

  it('decodes multi-byte UTF-8 characters split across chunks', () => {
    const { framer, lines } = collect();
    const text = JSON.stringify({ s: 'héllo — 你好 🎉' }) + '\n';
    const bytes = Buffer.from(text);
    // Cut inside the 4-byte emoji and inside the 3-byte CJK character.
    const emoji = bytes.indexOf(Buffer.from('🎉'));
    const cjk = bytes.indexOf(Buffer.from('你'));
    framer.push(bytes.subarray(0, cjk + 1));
    framer.push(bytes.subarray(cjk + 1, emoji + 2));
    framer.push(bytes.subarray(emoji + 2));
    assert.deepEqual(lines, [text.slice(0, -1)]);
    assert.deepEqual(JSON.parse(lines[0]!), { s: 'héllo — 你好 🎉' });
  });

  it('strips \\r from \\r\\n line endings and ignores empty lines', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('\n\r\n{"a":1}\r\n\n{"b":2}\r'));
    framer.push(Buffer.from('\n'));
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
  });

  it('defaults the limit to 16 MiB', () => {
    assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 16 * 1024 * 1024);
    assert.equal(new NewlineFramer().maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
  });

  it('accepts a message of exactly the limit, also with \\r\\n', () => {
    const { framer, lines, overflows } = collect(200);
    const msg = requestOfSize(200, 1);
    framer.push(Buffer.from(msg + '\n'));
    framer.push(Buffer.from(msg.slice(0, 150)));
    framer.push(Buffer.from(msg.slice(150) + '\r'));
    framer.push(Buffer.from('\n'));
    assert.deepEqual(overflows, []);
    assert.deepEqual(lines, [msg, msg]);
  });

  it('rejects limit+1 once, recovers its id, and still delivers the next message', () => {
    const { framer, lines, overflows } = collect(200);
    const big = requestOfSize(201, 'req-42');
    framer.push(Buffer.from(big + '\n{"next":true}\n'));
    assert.deepEqual(overflows, [{ bytes: 201, id: 'req-42' }]);
    assert.deepEqual(lines, ['{"next":true}']);
  });

  it('stops buffering an oversized message as soon as it passes the limit and reports it once', () => {
    const { framer, lines, overflows } = collect(1000);
    const big = requestOfSize(50_000, 9);
    const bytes = Buffer.from(big);
    for (let i = 0; i < bytes.length; i += 100) {
      framer.push(bytes.subarray(i, i + 100));
      assert.ok(framer.pendingBytes <= 1001, `buffered ${framer.pendingBytes} bytes past the limit`);
    }
    assert.equal(overflows.length, 1, 'reported before the newline arrived');
    assert.equal(overflows[0]!.id, 9);
    assert.ok(overflows[0]!.bytes > 1000);
    framer.push(Buffer.from('\n{"ok":1}\n'));
    assert.equal(overflows.length, 1);
    assert.deepEqual(lines, ['{"ok":1}']);
  });

  it('scans each byte once and concatenates once per message, however the bytes are chunked', () => {
    const origIndexOf = Buffer.prototype.indexOf;
    const origConcat = Buffer.concat;
    let scanned = 0;
    let concats = 0;
    Buffer.prototype.indexOf = function (this: Buffer, value: never, byteOffset?: never, encoding?: never): number {
      const r = origIndexOf.call(this, value, byteOffset, encoding);
      const from = typeof byteOffset === 'number' ? byteOffset : 0;
      scanned += r === -1 ? this.length - from : r - from + 1;
      return r;
    } as typeof origIndexOf;
    Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
      concats++;
      return origConcat(list, total);
    }) as typeof origConcat;
    try {
      const { framer, lines } = collect();
      const msg = requestOfSize(256 * 1024, 1) + '\n';
      const bytes = Buffer.from(msg + msg);
      // 1-byte chunks for the first message, 1 KiB chunks for the second.
      for (let i = 0; i < msg.length; i++) framer.push(bytes.subarray(i, i + 1));
      for (let i = msg.length; i < bytes.length; i += 1024) framer.push(bytes.subarray(i, Math.min(i + 1024, bytes.length)));
      assert.equal(lines.length, 2);
      assert.equal(scanned, bytes.length, 'every byte scanned exactly once');
      assert.equal(concats, 2, 'one concatenation per message');
    } finally {
      Buffer.prototype.indexOf = origIndexOf;
      Buffer.concat = origConcat;
    }
  });

  it('serialize() produces one newline-terminated line even for strings containing newlines', () => {
    const line = serialize({ jsonrpc: '2.0', method: 'log', params: { text: 'a\nb\r\nc' } });
    assert.ok(line.endsWith('\n'));
    assert.equal(line.indexOf('\n'), line.length - 1);
    const { framer, lines } = collect();
    framer.push(Buffer.from(line));
    assert.deepEqual(JSON.parse(lines[0]!), { jsonrpc: '2.0', method: 'log', params: { text: 'a\nb\r\nc' } });
  });
});

describe('recoverId', () => {
  it('finds a top-level integer or string id', () => {
    assert.equal(recoverId('{"jsonrpc":"2.0","id":17,"method":"x","params":{"a":"'), 17);
    assert.equal(recoverId('{ "jsonrpc" : "2.0" , "id" : "a\\"b" , "method"'), 'a"b');
  });

  it('ignores an "id" nested in params or inside a string value', () => {
    assert.equal(recoverId('{"jsonrpc":"2.0","method":"x","params":{"id":5,"s":"\\"id\\":6"},"id":7,"x":"'), 7);
    assert.equal(recoverId('{"jsonrpc":"2.0","method":"x","params":{"id":5,"pad":"xxxxx'), null);
  });

  it('returns null when the id is cut off or not an integer/string', () => {
    assert.equal(recoverId('{"jsonrpc":"2.0","id":"abc'), null);
    assert.equal(recoverId('{"jsonrpc":"2.0","id":123'), null);
    assert.equal(recoverId('{"jsonrpc":"2.0","id":1.5,"method":"x"'), null);
    assert.equal(recoverId('{"jsonrpc":"2.0","id":null,"method":"x"'), null);
    assert.equal(recoverId('[{"id":1}]'), null);
  });
});
