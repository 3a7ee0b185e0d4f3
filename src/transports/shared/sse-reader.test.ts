import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErlmcpError } from '../../protocol/errors.js';
import { readSseStream, type SseEvent } from './sse-reader.js';

function streamOf(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks[i++];
      if (next) c.enqueue(next);
      else c.close();
    },
    cancel() {
      onCancel?.();
    },
  });
}
const bytes = (s: string) => new TextEncoder().encode(s);
/** Every byte its own chunk: boundaries fall inside CRLF pairs and UTF-8 sequences. */
const byteByByte = (s: string) => [...bytes(s)].map((b) => Uint8Array.of(b));

async function read(chunks: Uint8Array[], maxBufferSize?: number): Promise<{ events: SseEvent[]; retries: number[] }> {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  await readSseStream(streamOf(chunks), { onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) }, maxBufferSize === undefined ? undefined : { maxBufferSize });
  return { events, retries };
}

test('a UTF-8 character split across chunks arrives intact', async () => {
  const { events } = await read(byteByByte('data: {"t":"héllo 🌍 日本"}\n\n'));
  assert.deepEqual(events.map((e) => e.data), ['{"t":"héllo 🌍 日本"}']);
});

test('LF, CRLF and CR line ends all work, even split between chunks; multi-line data joins with \\n', async () => {
  const text = 'data: a\ndata: b\n\ndata: c\r\ndata: d\r\n\r\ndata: e\rdata: f\r\r';
  for (const chunks of [[bytes(text)], byteByByte(text)]) {
    const { events } = await read(chunks);
    assert.deepEqual(events.map((e) => e.data), ['a\nb', 'c\nd', 'e\nf']);
  }
});

test('comments are skipped; event, id and retry fields are reported', async () => {
  const { events, retries } = await read([bytes(': keep-alive\nretry: 500\nid: 7\nevent: message\ndata: {}\n\n:another\nid: 8\ndata:x\n\n')]);
  assert.deepEqual(retries, [500]);
  assert.deepEqual(events, [
    { event: 'message', id: '7', data: '{}' },
    { event: undefined, id: '8', data: 'x' },
  ]);
});

test('a priming event with an id and empty data is reported so its id can be resumed from', async () => {
  const { events } = await read([bytes('id: prime-1\ndata: \n\n')]);
  assert.deepEqual(events, [{ event: undefined, id: 'prime-1', data: '' }]);
});

test('an event not terminated by a blank line before the end is discarded', async () => {
  for (const tail of ['data: cut off\n', 'data: cut off\r', 'data: cut off']) {
    const { events } = await read([bytes(`data: complete\n\n${tail}`)]);
    assert.deepEqual(events.map((e) => e.data), ['complete']);
  }
});

test('an event larger than maxBufferSize rejects with ERR_MESSAGE_TOO_LARGE', async () => {
  const big = `data: ${'x'.repeat(5000)}`;
  await assert.rejects(read([bytes(big), bytes(big)], 1000), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_MESSAGE_TOO_LARGE');
});

test('a handler that throws cancels the stream and rejects with its error', async () => {
  let cancelled = false;
  const stream = streamOf([bytes('data: 1\n\n'), bytes('data: 2\n\n')], () => (cancelled = true));
  await assert.rejects(
    readSseStream(stream, {
      onEvent: () => {
        throw new Error('handler failed');
      },
    }),
    /handler failed/,
  );
  assert.equal(cancelled, true);
});
