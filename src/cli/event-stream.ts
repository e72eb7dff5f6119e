/** One message of a Server-Sent Events stream. */
export interface ServerSentEvent {
  /** The `event:` field; `message` when the server gave none. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
  /** The `id:` field, when the message carried one. */
  id?: string;
}

/**
 * Splits a Server-Sent Events stream into messages, following the WHATWG parsing rules that
 * matter for Slipway: lines end with LF, CRLF or CR; lines starting with `:` are comments
 * (keep-alives); a blank line ends a message; a message without data is dropped.
 */
export async function* readServerSentEvents(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;

  function completeLines(text: string): string[] {
    buffer += text;
    const found: string[] = [];
    let start = 0;
    for (let index = 0; index < buffer.length; index += 1) {
      const character = buffer[index];
      if (character !== '\n' && character !== '\r') continue;
      // A CR that ends the chunk may be the first half of a CRLF: wait for the next chunk.
      if (character === '\r' && index === buffer.length - 1) break;
      found.push(buffer.slice(start, index));
      if (character === '\r' && buffer[index + 1] === '\n') index += 1;
      start = index + 1;
    }
    buffer = buffer.slice(start);
    return found;
  }

  function take(line: string): ServerSentEvent | undefined {
    if (line === '') {
      const message =
        data.length === 0
          ? undefined
          : {
              event: event === '' ? 'message' : event,
              data: data.join('\n'),
              ...(id !== undefined && { id }),
            };
      event = '';
      data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    return undefined;
  }

  for await (const chunk of chunks) {
    for (const line of completeLines(decoder.decode(chunk, { stream: true }))) {
      const message = take(line);
      if (message !== undefined) yield message;
    }
  }
  // What follows the last blank line is an incomplete message; it is dropped, as browsers do.
}
