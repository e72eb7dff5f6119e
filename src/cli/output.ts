import { ApiError, type Connection, ServerUnreachableError } from './client.js';
import { UsageError } from './options.js';

/** One column of a table: its header and how to read a cell from a row. */
export interface Column<Row> {
  header: string;
  cell: (row: Row) => string;
  /** Longest cell text before it is cut with an ellipsis (default 60). */
  maxWidth?: number;
}

function singleLine(text: string, maxWidth: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 1)}…` : flat;
}

/** Lays rows out as a table with aligned columns under upper-case headers. */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) =>
    columns.map((column) => {
      const text = singleLine(column.cell(row), column.maxWidth ?? 60);
      return text === '' ? '-' : text;
    }),
  );
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...cells.map((line) => (line[index] ?? '').length)),
  );
  const render = (line: readonly string[]): string =>
    line
      .map((text, index) => text.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].join('\n');
}

/** Lays out label/value pairs with aligned values; entries without a value are left out. */
export function formatDetails(entries: readonly (readonly [string, string | undefined])[]): string {
  const shown = entries.filter((entry): entry is readonly [string, string] => entry[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length)) + 1;
  return shown
    .map(([label, value]) => {
      const [first = '', ...rest] = value.split('\n');
      const indent = ' '.repeat(width + 1);
      return [`${`${label}:`.padEnd(width)} ${first}`, ...rest.map((line) => `${indent}${line}`)].join('\n');
    })
    .join('\n');
}

/** An ISO time without its milliseconds, e.g. 2024-05-01 12:30:00Z. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A byte count in binary units, e.g. 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The first hex digits of a digest, enough to tell versions apart in a table. */
export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? `${digest.slice(0, 19)}…` : digest;
}

/** A string map as key=value pairs. */
export function formatPairs(map: Readonly<Record<string, unknown>>): string {
  return Object.entries(map)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');
}

/** Where a command writes: human text by default, the raw JSON answer with --json. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Writes the server's answer: as JSON with --json, otherwise as the given human text. */
  result(body: unknown, human: () => string): void {
    if (this.json) {
      if (body !== undefined) this.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      this.stdout.write(`${human()}\n`);
    }
  }

  /** Writes a page of a list as a table, with a hint for fetching the next page. */
  page<Row>(
    page: { items: readonly Row[]; nextCursor?: string },
    columns: readonly Column<Row>[],
    emptyText: string,
  ): void {
    this.result(page, () => {
      const table = page.items.length === 0 ? emptyText : formatTable(page.items, columns);
      return page.nextCursor === undefined
        ? table
        : `${table}\n\nMore results: repeat the command with --cursor ${page.nextCursor}`;
    });
  }

  /**
   * Reports a failure on stderr (and, with --json, the server's error body on stdout) and
   * returns the exit code: 2 for usage errors, 1 for everything else. Never a stack trace.
   */
  failure(error: unknown, connection: Connection | undefined): number {
    const lines = describeFailure(error, connection);
    this.stderr.write(`${lines.join('\n')}\n`);
    if (this.json && error instanceof ApiError && error.body !== undefined) {
      this.stdout.write(`${JSON.stringify(error.body, null, 2)}\n`);
    }
    return error instanceof UsageError ? 2 : 1;
  }
}

function detailText(value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => detailText(item)).join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function problemLines(problems: unknown): string[] {
  if (!Array.isArray(problems)) return [];
  return problems.map((problem: unknown) => {
    if (typeof problem === 'object' && problem !== null && 'path' in problem && 'message' in problem) {
      // Problems in a YAML model also say where they are in the text.
      const line = 'line' in problem && typeof problem.line === 'number' ? problem.line : undefined;
      const column = 'column' in problem && typeof problem.column === 'number' ? problem.column : 1;
      const where = line === undefined ? '' : `line ${line}, column ${column}: `;
      return `  ${where}${String(problem.path)}: ${String(problem.message)}`;
    }
    return `  ${detailText(problem)}`;
  });
}

function firstPath(problems: unknown): string {
  const first: unknown = Array.isArray(problems) ? problems[0] : undefined;
  return typeof first === 'object' && first !== null && 'path' in first ? String(first.path) : '';
}

function tokenHint(connection: Connection): string {
  switch (connection.tokenSource) {
    case 'option':
      return 'The token given with --token was refused.';
    case 'environment':
      return 'The token in SLIPWAY_TOKEN was refused.';
    case 'admin-token-file':
      return `The admin token read from ${connection.adminTokenFile} was refused; it may belong to another data dir.`;
    case 'none':
      return `No API token was given: pass --token, set SLIPWAY_TOKEN, or run where \`slipway up\` wrote ${connection.adminTokenFile} (see SLIPWAY_DATA_DIR).`;
  }
}

/** The lines that explain a failure to a person. */
export function describeFailure(error: unknown, connection: Connection | undefined): string[] {
  if (error instanceof ApiError) {
    const lines = [`slipway: ${error.message} (${error.code}, HTTP ${error.status})`];
    const { problems, ...rest } = error.details ?? {};
    const listed = problemLines(problems);
    // A single problem is usually the message itself; list them when they add something.
    if (listed.length > 1 || (listed.length === 1 && !error.message.includes(firstPath(problems)))) {
      lines.push('Problems:', ...listed);
    }
    // A not-found message already names what is missing; other details add facts (digests, roles).
    if (error.status !== 404) {
      for (const [key, value] of Object.entries(rest)) lines.push(`  ${key}: ${detailText(value)}`);
    }
    if (error.status === 401 && connection !== undefined) lines.push(tokenHint(connection));
    return lines;
  }
  if (error instanceof ServerUnreachableError) {
    return [
      `slipway: ${error.message}`,
      'Start a server with `slipway up` (or `npm start` in a Slipway checkout), or point --url or SLIPWAY_URL at a running one.',
    ];
  }
  if (error instanceof UsageError) return [`slipway: ${error.message}`, 'Add --help for usage.'];
  return [`slipway: ${error instanceof Error ? error.message : String(error)}`];
}
