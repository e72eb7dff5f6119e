import { type Command, Option } from 'commander';
import { type FactValue, type Target, targetKinds } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { collectFacts, collectList, collectPairs, parseCount, UsageError } from '../options.js';
import { type Column, formatDetails, formatPairs, formatTable, formatTime } from '../output.js';

interface TargetOptions {
  kind?: string;
  label?: Record<string, string>;
  fact?: Record<string, FactValue>;
  factString?: Record<string, string>;
}

interface ListOptions {
  kind?: string;
  label?: string[];
  limit?: number;
  cursor?: string;
}

const targetColumns: Column<Target>[] = [
  { header: 'name', cell: (target) => target.name },
  { header: 'kind', cell: (target) => target.kind },
  { header: 'labels', cell: (target) => formatPairs(target.labels) },
  { header: 'facts', cell: (target) => formatPairs(target.facts), maxWidth: 80 },
];

function formatTarget(target: Target): string {
  const details = formatDetails([
    ['Target', target.name],
    ['Id', target.id],
    ['Environment', target.environment],
    ['Kind', target.kind],
    ['Labels', formatPairs(target.labels) || undefined],
    ['Created', formatTime(target.createdAt)],
    ['Updated', formatTime(target.updatedAt)],
  ]);
  const facts = Object.entries(target.facts);
  if (facts.length === 0) return details;
  const table = formatTable(facts, [
    { header: 'fact', cell: ([key]) => key },
    { header: 'value', cell: ([, value]) => String(value) },
    { header: 'type', cell: ([, value]) => typeof value },
  ]);
  return `${details}\n\n${table}`;
}

function factsOf(options: TargetOptions): Record<string, FactValue> | undefined {
  if (options.fact === undefined && options.factString === undefined) return undefined;
  return { ...options.fact, ...options.factString };
}

function bodyOf(options: TargetOptions): Record<string, unknown> {
  const facts = factsOf(options);
  return {
    ...(options.kind !== undefined && { kind: options.kind }),
    ...(options.label !== undefined && { labels: options.label }),
    ...(facts !== undefined && { facts }),
  };
}

const factHelp = 'a declared fact key=value; numbers and true/false are typed, repeat for more';
const factStringHelp = 'a fact whose value stays a string even if it looks like a number';

/** `slipway target create|list|show|update|delete`. */
export function registerTargetCommands(program: Command): void {
  const target = program
    .command('target')
    .description('Targets: hosts, clusters, sites and tenants inside an environment');

  const kindOption = (description: string): Option =>
    new Option('--kind <kind>', description).choices(targetKinds);

  withConnectionOptions(
    target
      .command('create')
      .description(
        'Declare a target, e.g. `target create staging web-1 --kind host --label role=web --fact disk_free_gb=40`',
      )
      .argument('<environment>', 'name or id of the environment')
      .argument('<name>', 'name of the target, unique in its environment')
      .addOption(kindOption('what the target is').makeOptionMandatory())
      .option('--label <key=value>', 'a label to select targets by; repeat for more', collectPairs)
      .option('--fact <key=value>', factHelp, collectFacts)
      .option('--fact-string <key=value>', factStringHelp, collectPairs),
  ).action(
    run<TargetOptions>(async ({ client, output, options, argument }) => {
      const { body } = await client.post<Target>(pathOf('environments', argument(0), 'targets'), {
        name: argument(1),
        ...bodyOf(options),
      });
      output.result(
        body,
        () => `Created target ${body.name} in ${body.environment}.\n\n${formatTarget(body)}`,
      );
    }),
  );

  withConnectionOptions(
    target
      .command('list')
      .description('List the targets of an environment')
      .argument('<environment>', 'name or id of the environment')
      .addOption(kindOption('only targets of this kind'))
      .option('--label <key=value>', 'only targets with this label; repeat to require several', collectList)
      .option('--limit <count>', 'largest number of targets to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options, argument }) => {
      for (const selector of options.label ?? []) {
        if (selector.indexOf('=') <= 0) throw new UsageError(`--label ${selector}: write it as key=value.`);
      }
      const page = await client.get<{ items: Target[]; nextCursor?: string }>(
        pathOf('environments', argument(0), 'targets'),
        { kind: options.kind, label: options.label, limit: options.limit, cursor: options.cursor },
      );
      output.page(page, targetColumns, `No targets found in ${argument(0)}.`);
    }),
  );

  withConnectionOptions(
    target
      .command('show')
      .description('Show a target with its labels and typed facts')
      .argument('<environment>', 'name or id of the environment')
      .argument('<target>', 'name or id of the target'),
  ).action(
    run(async ({ client, output, argument }) => {
      const found = await client.get<Target>(pathOf('environments', argument(0), 'targets', argument(1)));
      output.result(found, () => formatTarget(found));
    }),
  );

  withConnectionOptions(
    target
      .command('update')
      .description('Change a target; --label and --fact replace all labels and all facts')
      .argument('<environment>', 'name or id of the environment')
      .argument('<target>', 'name or id of the target')
      .addOption(kindOption('new kind'))
      .option('--label <key=value>', 'the labels it should have; repeat for more', collectPairs)
      .option('--fact <key=value>', factHelp, collectFacts)
      .option('--fact-string <key=value>', factStringHelp, collectPairs),
  ).action(
    run<TargetOptions>(async ({ client, output, options, argument }) => {
      const changes = bodyOf(options);
      if (Object.keys(changes).length === 0) {
        throw new UsageError('Say what to change: --kind, --label, --fact or --fact-string.');
      }
      const body = await client.patch<Target>(
        pathOf('environments', argument(0), 'targets', argument(1)),
        changes,
      );
      output.result(
        body,
        () => `Updated target ${body.name} in ${body.environment}.\n\n${formatTarget(body)}`,
      );
    }),
  );

  withConnectionOptions(
    target
      .command('delete')
      .description('Remove a target from an environment')
      .argument('<environment>', 'name or id of the environment')
      .argument('<target>', 'name or id of the target'),
  ).action(
    run(async ({ client, output, argument }) => {
      await client.delete(pathOf('environments', argument(0), 'targets', argument(1)));
      output.result(undefined, () => `Deleted target ${argument(1)} from ${argument(0)}.`);
    }),
  );
}
