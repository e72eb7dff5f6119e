/**
 * Splits streamed output into whole lines, keeping a partial last line until more arrives
 * or the stream ends.
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  /** Feeds a chunk of output. */
  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
  }

  /** Emits whatever partial line remains. */
  end(): void {
    if (this.partial.length > 0) this.emit(this.partial);
    this.partial = '';
  }
}
