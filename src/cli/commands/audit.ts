import type { Command } from 'commander';
import type { AuditEvent, Principal } from '../../domain/index.js';
import type { SlipwayClient } from '../client.js';
import { run, withConnectionOptions } from '../context.js';
import { parseCount } from '../options.js';
import { formatTime } from '../output.js';

interface ListOptions {
  actor?: string;
  action?: string;
  subjectType?: string;
  subjectId?: string;
  limit?: number;
  cursor?: string;
}

/** Principal names by id, when the caller may list principals; otherwise ids stay as they are. */
async function principalNames(client: SlipwayClient): Promise<Map<string, string>> {
  try {
    const { items } = await client.get<{ items: Principal[] }>('/principals');
    return new Map(items.map((principal) => [principal.id, principal.name]));
  } catch {
    return new Map();
  }
}

function describeDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

/** `slipway audit list`: who changed what, oldest first. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('The audit trail: who changed what, and when');

  withConnectionOptions(
    audit
      .command('list')
      .description('List audit events, oldest first')
      .option('--actor <principal>', 'only events by this principal (name or id)')
      .option('--action <action>', 'only this action, e.g. version.registered')
      .option('--subject-type <type>', 'only events about this kind of thing, e.g. component')
      .option('--subject-id <id>', 'only events about this thing')
      .option('--limit <count>', 'largest number of events to show (default 50)', parseCount)
      .option('--cursor <cursor>', 'continue after the previous page'),
  ).action(
    run<ListOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: AuditEvent[]; nextCursor?: string }>('/audit', {
        actor: options.actor,
        action: options.action,
        subjectType: options.subjectType,
        subjectId: options.subjectId,
        limit: options.limit,
        cursor: options.cursor,
      });
      const names = output.json ? new Map<string, string>() : await principalNames(client);
      output.page(
        page,
        [
          { header: 'at', cell: (event) => formatTime(event.at) },
          {
            header: 'actor',
            cell: (event) =>
              event.actorId === undefined ? 'system' : (names.get(event.actorId) ?? event.actorId),
          },
          { header: 'action', cell: (event) => event.action },
          { header: 'subject', cell: (event) => `${event.subjectType} ${event.subjectId}`, maxWidth: 80 },
          { header: 'details', cell: (event) => describeDetails(event.details), maxWidth: 80 },
        ],
        'No audit events match.',
      );
    }),
  );
}
