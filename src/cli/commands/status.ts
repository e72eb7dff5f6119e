import type { Command } from 'commander';
import type { Environment, MatrixCell } from '../../domain/index.js';
import type { SlipwayClient } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { type Column, formatTable } from '../output.js';

interface StatusOptions {
  service?: string;
  environment?: string;
  component?: string;
}

/** One row of the status table: a component and its cells by environment name. */
interface ComponentRow {
  component: string;
  service: string;
  cells: Map<string, MatrixCell>;
}

async function allEnvironments(client: SlipwayClient): Promise<Environment[]> {
  const environments: Environment[] = [];
  let cursor: string | undefined;
  do {
    const page: { items: Environment[]; nextCursor?: string } = await client.get('/environments', {
      limit: 500,
      cursor,
    });
    environments.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return environments;
}

/** A cell: the version there and how it got there, then what is on its way, e.g. `1.4.2 ✓ → 1.5.0 executing`. */
function cellText(cell: MatrixCell | undefined): string {
  if (cell === undefined) return '';
  const settled =
    cell.version === undefined
      ? ''
      : cell.outcome === undefined || cell.outcome === 'succeeded'
        ? `${cell.version} ✓`
        : `${cell.version} ${cell.outcome}`;
  const flying =
    cell.inFlight === undefined ? '' : `→ ${cell.inFlight.version ?? '?'} ${cell.inFlight.state}`;
  return [settled, flying].filter((part) => part !== '').join(' ');
}

/** `slipway status`: what version is where, and what is on its way. */
export function registerStatusCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('status')
      .description(
        'What is where: per component and environment the version deployed (✓ succeeded) and any deployment in flight (→)',
      )
      .option('--service <service>', 'only the components of this service')
      .option('--environment <environment>', 'only this environment')
      .option('--component <component>', 'only this component'),
  ).action(
    run<StatusOptions>(async ({ client, output, options }) => {
      const matrix = await client.get<{ items: MatrixCell[] }>('/matrix', {
        service: options.service,
        environment: options.environment,
        component: options.component,
      });
      if (output.json) {
        output.result(matrix, () => '');
        return;
      }
      const environments = (await allEnvironments(client)).filter(
        (environment) =>
          options.environment === undefined ||
          environment.name === options.environment ||
          environment.id === options.environment,
      );
      const rows = new Map<string, ComponentRow>();
      for (const cell of matrix.items) {
        const row = rows.get(cell.componentId) ?? {
          component: cell.component,
          service: cell.service,
          cells: new Map<string, MatrixCell>(),
        };
        row.cells.set(cell.environment, cell);
        rows.set(cell.componentId, row);
      }
      const ordered = [...rows.values()].sort(
        (left, right) =>
          left.service.localeCompare(right.service) || left.component.localeCompare(right.component),
      );
      const columns: Column<ComponentRow>[] = [
        { header: 'component', cell: (row) => row.component },
        { header: 'service', cell: (row) => row.service },
        ...environments.map(
          (environment): Column<ComponentRow> => ({
            header: environment.name,
            cell: (row) => cellText(row.cells.get(environment.name)),
          }),
        ),
      ];
      output.result(matrix, () => {
        if (ordered.length === 0) return 'Nothing has been deployed yet.';
        const inFlight = matrix.items.filter((cell) => cell.inFlight !== undefined).length;
        const legend = `✓ deployed successfully   → in flight, with its state${inFlight === 0 ? '' : ` (${inFlight} in flight)`}`;
        return `${formatTable(ordered, columns)}\n\n${legend}`;
      });
    }),
  );
}
