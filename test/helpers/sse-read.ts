/** Reads a streaming fetch body until `needle` has appeared (an SSE event the test waits for). */
export function streamReader(body: ReadableStream<Uint8Array>): { readUntil(needle: string): Promise<void>; readonly text: string } {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let seen = '';
  return {
    get text() {
      return seen;
    },
    async readUntil(needle: string): Promise<void> {
      while (!seen.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${seen}`);
        seen += dec.decode(value);
      }
    },
  };
}
