import type { Command } from 'commander';
import type { Release } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { collectVersionReferences, parseCount, type VersionReference } from '../options.js';
import { type Column, formatDetails, formatTable, formatTime } from '../output.js';

interface CreateOptions {
  version: VersionReference[];
  description?: string;
  notes?: string;
}

interface ListOptions {
  limit?: number;
  cursor?: string;
}

const releaseColumns: Column<Release>[] = [
  { header: 'name', cell: (release) => release.name },
  {
    header: 'versions',
    cell: (release) =>
      release.versions.map((version) => `${version.component}@${version.version}`).join(', '),
    maxWidth: 80,
  },
  { header: 'description', cell: (release) => release.description },
  { header: 'created', cell: (release) => formatTime(release.createdAt) },
];

function formatRelease(release: Release): string {
  const details = formatDetails([
    ['Release', release.name],
    ['Id', release.id],
    ['Description', release.description === '' ? undefined : release.description],
    ['Notes', release.notes === '' ? undefined : release.notes],
    ['Created', formatTime(release.createdAt)],
  ]);
  const versions = formatTable(release.versions, [
    { header: 'component', cell: (version) => version.component },
    { header: 'version', cell: (version) => version.version },
    { header: 'digest', cell: (version) => version.digest, maxWidth: 80 },
  ]);
  return `${details}\n\n${versions}`;
}

/** `slipway release create|list|show`. */
export function registerReleaseCommands(program: Command): void {
  const release = program
    .command('release')
    .description('Releases: named sets of versions that move together');

  withConnectionOptions(
    release
      .command('create')
      .description(
        'Create a release, e.g. `release create spring --version shop-web@1.4.2 --version shop-docs@2024.1`',
      )
      .argument('<name>', 'name of the release')
      .requiredOption(
        '--version <component@version>',
        'a registered version to include; repeat for each component',
        collectVersionReferences,
      )
      .option('--description <text>', 'what the release is')
      .option('--notes <text>', 'release notes'),
  ).action(
    run<CreateOptions>(async ({ client, output, options, argument }) => {
      const { body } = await client.post<Release>('/releases', {
        name: argument(0),
        versions: options.version,
        ...(options.description !== undefined && { description: options.description }),
        ...(options.notes !== undefined && { notes: options.notes }),
      });
      output.result(body, () => `Created release ${body.name}.\n\n${formatRelease(body)}`);
    }),
  );

  withConnectionOptions(
    release
      .command('list')
      .description('List releases')
      .option('--limit <count>', 'largest number of releases to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: Release[]; nextCursor?: string }>('/releases', {
        limit: options.limit,
        cursor: options.cursor,
      });
      output.page(page, releaseColumns, 'No releases yet.');
    }),
  );

  withConnectionOptions(
    release
      .command('show')
      .description('Show a release and its versions')
      .argument('<release>', 'name or id'),
  ).action(
    run(async ({ client, output, argument }) => {
      const found = await client.get<Release>(pathOf('releases', argument(0)));
      output.result(found, () => formatRelease(found));
    }),
  );
}
