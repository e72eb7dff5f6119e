import { type Command, Option } from 'commander';
import { type Component, componentKinds } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { parseCount } from '../options.js';
import { type Column, formatDetails, formatTime } from '../output.js';

interface CreateOptions {
  service: string;
  kind: string;
  description?: string;
}

interface ListOptions {
  service?: string;
  kind?: string;
  search?: string;
  limit?: number;
  cursor?: string;
}

const componentColumns: Column<Component>[] = [
  { header: 'name', cell: (component) => component.name },
  { header: 'service', cell: (component) => component.service },
  { header: 'kind', cell: (component) => component.kind },
  { header: 'description', cell: (component) => component.description },
  { header: 'created', cell: (component) => formatTime(component.createdAt) },
];

function formatComponent(component: Component): string {
  return formatDetails([
    ['Component', component.name],
    ['Id', component.id],
    ['Service', component.service],
    ['Kind', component.kind],
    ['Description', component.description === '' ? undefined : component.description],
    ['Created', formatTime(component.createdAt)],
  ]);
}

/** `slipway component create|list|show`. */
export function registerComponentCommands(program: Command): void {
  const component = program
    .command('component')
    .description('Components: the deployable parts of a service (software, hardware, documents, …)');

  withConnectionOptions(
    component
      .command('create')
      .description('Create a component of a service')
      .argument('<name>', 'unique across all services')
      .requiredOption('--service <service>', 'the owning service, by name or id')
      .addOption(new Option('--kind <kind>', 'what it is').choices(componentKinds).makeOptionMandatory())
      .option('--description <text>', 'what the component is'),
  ).action(
    run<CreateOptions>(async ({ client, output, options, argument }) => {
      const { body } = await client.post<Component>('/components', {
        service: options.service,
        name: argument(0),
        kind: options.kind,
        ...(options.description !== undefined && { description: options.description }),
      });
      output.result(body, () => `Created ${body.kind} component ${body.name}.\n\n${formatComponent(body)}`);
    }),
  );

  withConnectionOptions(
    component
      .command('list')
      .description('List components')
      .option('--service <service>', 'only components of this service')
      .addOption(new Option('--kind <kind>', 'only components of this kind').choices(componentKinds))
      .option('--search <text>', 'only components whose name contains this text')
      .option('--limit <count>', 'largest number of components to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: Component[]; nextCursor?: string }>('/components', {
        service: options.service,
        kind: options.kind,
        search: options.search,
        limit: options.limit,
        cursor: options.cursor,
      });
      output.page(page, componentColumns, 'No components found.');
    }),
  );

  withConnectionOptions(
    component.command('show').description('Show a component').argument('<component>', 'name or id'),
  ).action(
    run(async ({ client, output, argument }) => {
      const found = await client.get<Component>(pathOf('components', argument(0)));
      output.result(found, () => formatComponent(found));
    }),
  );
}
