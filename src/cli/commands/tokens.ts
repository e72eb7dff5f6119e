import { type Command, InvalidArgumentError, Option } from 'commander';
import { type ApiToken, type Principal, principalKinds, type Role, roles } from '../../domain/index.js';
import { pathOf } from '../client.js';
import { type CommandContext, run, withConnectionOptions } from '../context.js';
import { parseCount, UsageError } from '../options.js';
import { type Column, formatDetails, formatTable, formatTime } from '../output.js';

interface CreateOptions {
  name: string;
  role?: Role[];
  kind?: string;
  email?: string;
  principal?: string;
  expiresInDays?: number;
}

interface CreatedPrincipal {
  principal: Principal;
  token: string;
  tokenMetadata: ApiToken;
}

interface IssuedToken {
  token: string;
  metadata: ApiToken;
}

function collectRoles(value: string, previous: Role[] | undefined): Role[] {
  const role = roles.find((known) => known === value);
  if (role === undefined) throw new InvalidArgumentError(`Allowed roles are ${roles.join(', ')}.`);
  return [...(previous ?? []), role];
}

function statusOf(token: ApiToken, now: number): string {
  if (token.revokedAt !== undefined) return 'revoked';
  if (token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now) return 'expired';
  return 'active';
}

function tokenColumns(now: number): Column<ApiToken>[] {
  return [
    { header: 'id', cell: (token) => token.id },
    { header: 'principal', cell: (token) => token.principal },
    { header: 'name', cell: (token) => token.name },
    { header: 'prefix', cell: (token) => `${token.prefix}…` },
    { header: 'status', cell: (token) => statusOf(token, now) },
    { header: 'created', cell: (token) => formatTime(token.createdAt) },
    { header: 'expires', cell: (token) => formatTime(token.expiresAt) || 'never' },
    { header: 'last used', cell: (token) => formatTime(token.lastUsedAt) },
  ];
}

function formatToken(metadata: ApiToken): string {
  return formatDetails([
    ['Token id', metadata.id],
    ['Principal', metadata.principal],
    ['Name', metadata.name],
    ['Expires', formatTime(metadata.expiresAt) || 'never'],
  ]);
}

function secretBlock(token: string): string {
  return `Its API token, shown only this once; keep it somewhere safe:\n\n  ${token}`;
}

async function createPrincipal(context: CommandContext<CreateOptions>): Promise<void> {
  const { client, output, options } = context;
  if (options.expiresInDays !== undefined) {
    throw new UsageError(
      'A new principal gets a token that does not expire; add expiring tokens with --principal and --expires-in-days.',
    );
  }
  if (options.role === undefined || options.role.length === 0) {
    throw new UsageError('Give the new principal at least one --role (or use --principal to add a token).');
  }
  const kind = options.kind ?? (options.email === undefined ? 'system' : 'person');
  const { body } = await client.post<CreatedPrincipal>('/principals', {
    name: options.name,
    kind,
    roles: [...new Set(options.role)],
    ...(options.email !== undefined && { email: options.email }),
  });
  output.result(body, () =>
    [
      `Created ${body.principal.kind} ${body.principal.name} with ${body.principal.roles.length === 1 ? 'role' : 'roles'} ${body.principal.roles.join(', ')}.`,
      '',
      secretBlock(body.token),
      '',
      formatToken(body.tokenMetadata),
    ].join('\n'),
  );
}

/** `slipway token create|list|revoke`. */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens of people and systems (admin only)');

  withConnectionOptions(
    token
      .command('create')
      .description(
        'Create a principal with its first token (--name, --role), or another token for an existing one (--principal, --name)',
      )
      .requiredOption(
        '--name <name>',
        'name of the new principal, or with --principal the name of the new token',
      )
      .option('--role <role>', `a role of the new principal, repeatable: ${roles.join(', ')}`, collectRoles)
      .addOption(
        new Option('--kind <kind>', 'person or system (default: person with --email, else system)').choices(
          principalKinds,
        ),
      )
      .option('--email <email>', "the person's e-mail address")
      .option('--principal <principal>', 'issue another token for this existing principal (name or id)')
      .option(
        '--expires-in-days <days>',
        'with --principal: the token stops working after this many days',
        parseCount,
      ),
  ).action(
    run<CreateOptions>(async (context) => {
      const { client, output, options } = context;
      if (options.principal === undefined) {
        await createPrincipal(context);
        return;
      }
      if (options.role !== undefined || options.kind !== undefined || options.email !== undefined) {
        throw new UsageError(
          '--role, --kind and --email describe a new principal; leave them out with --principal.',
        );
      }
      const { body } = await client.post<IssuedToken>('/tokens', {
        principal: options.principal,
        name: options.name,
        ...(options.expiresInDays !== undefined && { expiresInDays: options.expiresInDays }),
      });
      output.result(body, () =>
        [
          `Issued token ${body.metadata.name} for ${body.metadata.principal}.`,
          '',
          secretBlock(body.token),
          '',
          formatToken(body.metadata),
        ].join('\n'),
      );
    }),
  );

  withConnectionOptions(
    token
      .command('list')
      .description('List API tokens (never their secrets)')
      .option('--principal <principal>', 'only the tokens of this principal'),
  ).action(
    run<{ principal?: string }>(async ({ client, output, options }) => {
      const list = await client.get<{ items: ApiToken[] }>('/tokens', { principal: options.principal });
      output.result(list, () =>
        list.items.length === 0 ? 'No tokens.' : formatTable(list.items, tokenColumns(Date.now())),
      );
    }),
  );

  withConnectionOptions(
    token
      .command('revoke')
      .description('Revoke an API token; it stops working at once')
      .argument('<token-id>', 'the id shown by `slipway token list`'),
  ).action(
    run(async ({ client, output, argument }) => {
      const { body } = await client.delete<ApiToken>(pathOf('tokens', argument(0)));
      output.result(body, () => `Revoked token ${body.name} of ${body.principal}.`);
    }),
  );
}
