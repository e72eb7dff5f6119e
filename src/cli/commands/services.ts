import type { Command } from 'commander';
import type { Component, Service } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { parseCount } from '../options.js';
import { type Column, formatDetails, formatTable, formatTime } from '../output.js';

interface CreateOptions {
  description?: string;
  owner?: string;
}

interface ListOptions {
  search?: string;
  limit?: number;
  cursor?: string;
}

const serviceColumns: Column<Service>[] = [
  { header: 'name', cell: (service) => service.name },
  { header: 'owner', cell: (service) => service.owner ?? '' },
  { header: 'description', cell: (service) => service.description },
  { header: 'created', cell: (service) => formatTime(service.createdAt) },
];

/** The details of one service, as shown by create and show. */
export function formatService(service: Service): string {
  return formatDetails([
    ['Service', service.name],
    ['Id', service.id],
    ['Owner', service.owner],
    ['Description', service.description === '' ? undefined : service.description],
    ['Created', formatTime(service.createdAt)],
  ]);
}

/** `slipway service create|list|show`. */
export function registerServiceCommands(program: Command): void {
  const service = program.command('service').description('Services: what consumers use; they own components');

  withConnectionOptions(
    service
      .command('create')
      .description('Create a service')
      .argument('<name>', 'letters, digits, dot, dash and underscore')
      .option('--description <text>', 'what the service is for')
      .option('--owner <owner>', 'who owns it, e.g. a team'),
  ).action(
    run<CreateOptions>(async ({ client, output, options, argument }) => {
      const { body } = await client.post<Service>('/services', {
        name: argument(0),
        ...(options.description !== undefined && { description: options.description }),
        ...(options.owner !== undefined && { owner: options.owner }),
      });
      output.result(body, () => `Created service ${body.name}.\n\n${formatService(body)}`);
    }),
  );

  withConnectionOptions(
    service
      .command('list')
      .description('List services')
      .option('--search <text>', 'only services whose name contains this text')
      .option('--limit <count>', 'largest number of services to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: Service[]; nextCursor?: string }>('/services', {
        search: options.search,
        limit: options.limit,
        cursor: options.cursor,
      });
      output.page(page, serviceColumns, 'No services yet. Create one with `slipway service create <name>`.');
    }),
  );

  withConnectionOptions(
    service
      .command('show')
      .description('Show a service and its components')
      .argument('<service>', 'name or id'),
  ).action(
    run(async ({ client, output, argument }) => {
      const found = await client.get<Service>(pathOf('services', argument(0)));
      if (output.json) {
        output.result(found, () => '');
        return;
      }
      const components = await client.get<{ items: Component[]; nextCursor?: string }>('/components', {
        service: found.id,
        limit: 500,
      });
      output.result(found, () => {
        const list =
          components.items.length === 0
            ? 'No components yet.'
            : formatTable(components.items, [
                { header: 'component', cell: (component) => component.name },
                { header: 'kind', cell: (component) => component.kind },
                { header: 'description', cell: (component) => component.description },
              ]);
        return `${formatService(found)}\n\n${list}`;
      });
    }),
  );
}
