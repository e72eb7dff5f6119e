/** The outcome of reading a piece of text that may be malformed: a value, or what was expected. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };
