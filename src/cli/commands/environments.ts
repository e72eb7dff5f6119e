import { type Command, Option } from 'commander';
import { type Environment, type Target, tiers } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { collectPairs, parseCount, UsageError } from '../options.js';
import { type Column, formatDetails, formatPairs, formatTable, formatTime } from '../output.js';

interface CreateOptions {
  tier: string;
  order?: number;
  purpose?: string;
  attribute?: Record<string, string>;
  protected?: boolean;
}

type UpdateOptions = Partial<CreateOptions>;

interface ListOptions {
  tier?: string;
  protected?: boolean;
  limit?: number;
  cursor?: string;
}

const environmentColumns: Column<Environment>[] = [
  { header: 'order', cell: (environment) => String(environment.order) },
  { header: 'name', cell: (environment) => environment.name },
  { header: 'tier', cell: (environment) => environment.tier },
  { header: 'protected', cell: (environment) => (environment.protected ? 'yes' : 'no') },
  { header: 'attributes', cell: (environment) => formatPairs(environment.attributes) },
  { header: 'purpose', cell: (environment) => environment.purpose },
];

function formatEnvironment(environment: Environment): string {
  return formatDetails([
    ['Environment', environment.name],
    ['Id', environment.id],
    ['Tier', environment.tier],
    ['Order', String(environment.order)],
    ['Protected', environment.protected ? 'yes' : 'no'],
    ['Purpose', environment.purpose === '' ? undefined : environment.purpose],
    ['Attributes', formatPairs(environment.attributes) || undefined],
    ['Created', formatTime(environment.createdAt)],
    ['Updated', formatTime(environment.updatedAt)],
  ]);
}

function changesOf(options: UpdateOptions): Record<string, unknown> {
  return {
    ...(options.purpose !== undefined && { purpose: options.purpose }),
    ...(options.tier !== undefined && { tier: options.tier }),
    ...(options.order !== undefined && { order: options.order }),
    ...(options.attribute !== undefined && { attributes: options.attribute }),
    ...(options.protected !== undefined && { protected: options.protected }),
  };
}

/** `slipway env create|list|show|update|delete`. */
export function registerEnvironmentCommands(program: Command): void {
  const environment = program
    .command('env')
    .description('Environments: ordered, controlled places a deployment moves through');

  const tierOption = (description: string): Option => new Option('--tier <tier>', description).choices(tiers);

  withConnectionOptions(
    environment
      .command('create')
      .description('Create an environment')
      .argument('<name>', 'name of the environment')
      .addOption(tierOption('what the environment is for').makeOptionMandatory())
      .option('--order <number>', 'position in the flow; lower comes first', parseCount)
      .option('--purpose <text>', 'a sentence on what it is used for')
      .option('--attribute <key=value>', 'a string attribute; repeat for more', collectPairs)
      .option('--protected', 'mark it protected'),
  ).action(
    run<CreateOptions>(async ({ client, output, options, argument }) => {
      const { body } = await client.post<Environment>('/environments', {
        name: argument(0),
        ...changesOf(options),
      });
      output.result(body, () => `Created environment ${body.name}.\n\n${formatEnvironment(body)}`);
    }),
  );

  withConnectionOptions(
    environment
      .command('list')
      .description('List environments in flow order')
      .addOption(tierOption('only environments of this tier'))
      .option('--protected', 'only protected environments')
      .option('--no-protected', 'only unprotected environments')
      .option('--limit <count>', 'largest number of environments to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: Environment[]; nextCursor?: string }>('/environments', {
        tier: options.tier,
        protected: options.protected,
        limit: options.limit,
        cursor: options.cursor,
      });
      output.page(page, environmentColumns, 'No environments found.');
    }),
  );

  withConnectionOptions(
    environment
      .command('show')
      .description('Show an environment and its targets')
      .argument('<environment>', 'name or id'),
  ).action(
    run(async ({ client, output, argument }) => {
      const found = await client.get<Environment>(pathOf('environments', argument(0)));
      if (output.json) {
        output.result(found, () => '');
        return;
      }
      const targets = await client.get<{ items: Target[]; nextCursor?: string }>(
        pathOf('environments', found.id, 'targets'),
        { limit: 500 },
      );
      output.result(found, () => {
        const list =
          targets.items.length === 0
            ? 'No targets yet.'
            : formatTable(targets.items, [
                { header: 'target', cell: (target) => target.name },
                { header: 'kind', cell: (target) => target.kind },
                { header: 'labels', cell: (target) => formatPairs(target.labels) },
              ]);
        return `${formatEnvironment(found)}\n\n${list}`;
      });
    }),
  );

  withConnectionOptions(
    environment
      .command('update')
      .description('Change an environment; --attribute replaces all attributes')
      .argument('<environment>', 'name or id')
      .addOption(tierOption('new tier'))
      .option('--order <number>', 'new position in the flow', parseCount)
      .option('--purpose <text>', 'new purpose')
      .option('--attribute <key=value>', 'the attributes it should have; repeat for more', collectPairs)
      .option('--protected', 'mark it protected')
      .option('--no-protected', 'mark it unprotected'),
  ).action(
    run<UpdateOptions>(async ({ client, output, options, argument }) => {
      const changes = changesOf(options);
      if (Object.keys(changes).length === 0) {
        throw new UsageError(
          'Say what to change: --tier, --order, --purpose, --attribute, --protected or --no-protected.',
        );
      }
      const body = await client.patch<Environment>(pathOf('environments', argument(0)), changes);
      output.result(body, () => `Updated environment ${body.name}.\n\n${formatEnvironment(body)}`);
    }),
  );

  withConnectionOptions(
    environment
      .command('delete')
      .description('Delete an environment that has no targets or records')
      .argument('<environment>', 'name or id'),
  ).action(
    run(async ({ client, output, argument }) => {
      await client.delete(pathOf('environments', argument(0)));
      output.result(undefined, () => `Deleted environment ${argument(0)}.`);
    }),
  );
}
