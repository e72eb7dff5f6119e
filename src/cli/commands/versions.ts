import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Version } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { parseCount, parseVersionReference, UsageError } from '../options.js';
import { type Column, formatBytes, formatDetails, formatTable, formatTime, shortDigest } from '../output.js';

interface CreateOptions {
  digest?: string;
  size?: number;
  file?: string;
  source?: string;
  manifest?: string;
  changelog?: string;
  commit?: string;
  committedAt?: string;
}

interface ListOptions {
  limit?: number;
  cursor?: string;
}

const versionColumns: Column<Version>[] = [
  { header: 'version', cell: (version) => version.version },
  { header: 'digest', cell: (version) => shortDigest(version.digest) },
  { header: 'size', cell: (version) => formatBytes(version.size) },
  { header: 'parts', cell: (version) => String(version.manifest?.length ?? 0) },
  { header: 'commit', cell: (version) => version.commitSha?.slice(0, 12) ?? '' },
  { header: 'registered', cell: (version) => formatTime(version.createdAt) },
];

function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
    return 'no such file';
  }
  return error instanceof Error ? error.message : String(error);
}

/** The SHA-256 digest and size of a local file, read as a stream so size does not matter. */
async function describeFile(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      size += bytes.length;
    }
  } catch (error) {
    throw new UsageError(`Cannot read --file ${path}: ${errorText(error)}.`);
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function readManifest(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read --manifest ${path}: ${errorText(error)}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--manifest ${path} is not valid JSON: ${errorText(error)}.`);
  }
  if (!Array.isArray(parsed)) {
    throw new UsageError(
      `--manifest ${path} must hold a JSON array of parts, e.g. [{"name": "app.tar.gz", "kind": "file", "digest": "sha256:…"}].`,
    );
  }
  return parsed;
}

/** Accepts a digest as sha256sum prints it (bare hex) as well as in the sha256:<hex> form. */
function normaliseDigest(digest: string): string {
  return /^[0-9a-fA-F]{64}$/.test(digest) ? `sha256:${digest.toLowerCase()}` : digest;
}

async function contentOf(options: CreateOptions): Promise<{ digest: string; size: number }> {
  const given = options.digest === undefined ? undefined : normaliseDigest(options.digest);
  if (options.file !== undefined) {
    const measured = await describeFile(options.file);
    if (given !== undefined && given !== measured.digest) {
      throw new UsageError(`The digest of ${options.file} is ${measured.digest}, not ${given}.`);
    }
    if (options.size !== undefined && options.size !== measured.size) {
      throw new UsageError(`${options.file} holds ${measured.size} bytes, not ${options.size}.`);
    }
    return measured;
  }
  if (given === undefined || options.size === undefined) {
    throw new UsageError('Give --digest and --size, or --file to compute both from a local file.');
  }
  return { digest: given, size: options.size };
}

function formatVersion(version: Version): string {
  const details = formatDetails([
    ['Version', `${version.component}@${version.version}`],
    ['Id', version.id],
    ['Digest', version.digest],
    [
      'Size',
      version.size < 1024
        ? formatBytes(version.size)
        : `${formatBytes(version.size)} (${version.size} bytes)`,
    ],
    ['Source', version.sourceUri],
    ['Commit', version.commitSha],
    ['Committed', version.committedAt === undefined ? undefined : formatTime(version.committedAt)],
    ['Registered', formatTime(version.createdAt)],
    ['Changelog', version.changelog],
  ]);
  const manifest = version.manifest ?? [];
  if (manifest.length === 0) return details;
  const parts = formatTable(manifest, [
    { header: 'part', cell: (part) => part.name },
    { header: 'kind', cell: (part) => part.kind },
    {
      header: 'digest or serial number',
      cell: (part) => part.digest ?? part.serialNumber ?? '',
      maxWidth: 80,
    },
  ]);
  return `${details}\n\nManifest (${manifest.length} parts):\n${parts}`;
}

/** `slipway version create|list|show`. */
export function registerVersionCommands(program: Command): void {
  const version = program
    .command('version')
    .description('Versions: immutable, registered versions of a component (the authorized repository)');

  withConnectionOptions(
    version
      .command('create')
      .description(
        'Register a version of a component; repeating it with the same digest changes nothing, another digest is refused',
      )
      .argument('<component>', 'name or id of the component')
      .argument('<version>', 'version string, e.g. 1.4.2')
      .option('--digest <digest>', 'SHA-256 digest as sha256:<64 hex digits> (or the bare hex of sha256sum)')
      .option('--size <bytes>', 'size in bytes', parseCount)
      .option('--file <path>', 'a local file to compute --digest and --size from')
      .option('--source <uri>', 'where the content can be fetched, e.g. https://… or oci://…')
      .option('--manifest <file.json>', 'a JSON array of parts: {name, kind, digest or serialNumber}')
      .option('--changelog <text>', 'what changed in this version')
      .option('--commit <sha>', 'the commit the version was built from')
      .option('--committed-at <time>', 'when that commit was made (ISO-8601), for lead-time metrics'),
  ).action(
    run<CreateOptions>(async ({ client, output, options, argument }) => {
      const content = await contentOf(options);
      const manifest = options.manifest === undefined ? undefined : await readManifest(options.manifest);
      const { status, body } = await client.post<Version>(pathOf('components', argument(0), 'versions'), {
        version: argument(1),
        digest: content.digest,
        size: content.size,
        ...(options.source !== undefined && { sourceUri: options.source }),
        ...(manifest !== undefined && { manifest }),
        ...(options.changelog !== undefined && { changelog: options.changelog }),
        ...(options.commit !== undefined && { commitSha: options.commit }),
        ...(options.committedAt !== undefined && { committedAt: options.committedAt }),
      });
      const name = `${body.component}@${body.version}`;
      const headline =
        status === 201
          ? `Registered ${name}.`
          : `${name} was already registered with this digest; nothing changed.`;
      output.result(body, () => `${headline}\n\n${formatVersion(body)}`);
    }),
  );

  withConnectionOptions(
    version
      .command('list')
      .description("List a component's versions, newest first")
      .argument('<component>', 'name or id of the component')
      .option('--limit <count>', 'largest number of versions to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options, argument }) => {
      const page = await client.get<{ items: Version[]; nextCursor?: string }>(
        pathOf('components', argument(0), 'versions'),
        { limit: options.limit, cursor: options.cursor },
      );
      output.page(page, versionColumns, `No versions of ${argument(0)} yet.`);
    }),
  );

  withConnectionOptions(
    version
      .command('show')
      .description('Show a version and its manifest: `show shop-web 1.4.2` or `show shop-web@1.4.2`')
      .argument('<component>', 'name or id of the component, or component@version')
      .argument('[version]', 'version string or id'),
  ).action(
    run(async ({ client, output, argument, optionalArgument }) => {
      const second = optionalArgument(1);
      const reference =
        second === undefined ? parseReference(argument(0)) : { component: argument(0), version: second };
      const found = await client.get<Version>(
        pathOf('components', reference.component, 'versions', reference.version),
      );
      output.result(found, () => formatVersion(found));
    }),
  );
}

function parseReference(text: string): { component: string; version: string } {
  try {
    return parseVersionReference(text);
  } catch {
    throw new UsageError(
      `Name the version: \`version show ${text} <version>\` or \`version show ${text}@<version>\`.`,
    );
  }
}
