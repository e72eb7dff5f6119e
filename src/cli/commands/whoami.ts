import type { Command } from 'commander';
import type { Principal } from '../../domain/index.js';
import { run, withConnectionOptions } from '../context.js';
import { formatDetails, formatTime } from '../output.js';

/** `slipway whoami`: the principal behind the token in use, and where it came from. */
export function registerWhoamiCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('whoami')
      .description('Show who the server takes you for, and which server and token are in use'),
  ).action(
    run(async ({ client, output }) => {
      const principal = await client.get<Principal>('/whoami');
      const { url, tokenSource, adminTokenFile } = client.connection;
      const source = {
        option: '--token',
        environment: 'SLIPWAY_TOKEN',
        'admin-token-file': adminTokenFile,
        none: 'none',
      }[tokenSource];
      output.result(principal, () =>
        formatDetails([
          ['Principal', principal.name],
          ['Id', principal.id],
          ['Kind', principal.kind],
          ['E-mail', principal.email],
          ['Roles', principal.roles.join(', ')],
          ['Since', formatTime(principal.createdAt)],
          ['Server', url],
          ['Token from', source],
        ]),
      );
    }),
  );
}
