#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { SlipwayError } from '../domain/index.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerComponentCommands } from './commands/components.js';
import { registerDeploymentCommands } from './commands/deployments.js';
import { registerEnvironmentCommands } from './commands/environments.js';
import { registerModelCommands } from './commands/models.js';
import { registerNotificationCommands } from './commands/notifications.js';
import { registerRecordCommands } from './commands/records.js';
import { registerReleaseCommands } from './commands/releases.js';
import { registerServiceCommands } from './commands/services.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTargetCommands } from './commands/targets.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerVersionCommands } from './commands/versions.js';
import { registerWhoamiCommand } from './commands/whoami.js';
import { registerWorkCommands } from './commands/work.js';
import { readServerConfig } from './config.js';
import { slipwayVersion } from './version.js';

async function serveUntilSignalled(): Promise<void> {
  // Loaded here so that client commands do not pay for the server, store and drivers.
  const { startServer } = await import('./serve.js');
  const running = await startServer(readServerConfig());
  process.stderr.write(
    `Slipway ${slipwayVersion} listening on ${running.url} (store: ${running.store.dialect})\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const program = new Command()
  .name('slipway')
  .description('Deployment management: models, verified deployments, tamper-evident records, insight.')
  .version(slipwayVersion)
  // Program options only before the subcommand, so `release create --version a@1` is the
  // subcommand's option and not the program's --version.
  .enablePositionalOptions()
  // Usage errors reach the catch below (exit code 2) instead of exiting inside commander.
  .exitOverride()
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    `
Client commands talk to the server at $SLIPWAY_URL (default http://127.0.0.1:4300) with the
API token in $SLIPWAY_TOKEN. When SLIPWAY_TOKEN is unset they use the admin token that
\`slipway up\` writes on first start to <$SLIPWAY_DATA_DIR or ./.slipway>/admin-token, so on
the machine that runs the server no setup is needed. --url and --token override both.
Every client command takes --json to print the server's raw JSON answer instead of a table.

Exit codes: 0 done; 1 the request failed or was refused (message and code on stderr);
2 the command line is wrong.`,
  );

program
  .command('up')
  .description(
    'Run everything on this machine: the server with the embedded store (the single-machine default)',
  )
  .action(serveUntilSignalled);

program
  .command('server')
  .description('Run the HTTP server (SLIPWAY_DATABASE_URL selects PostgreSQL)')
  .action(serveUntilSignalled);

registerServiceCommands(program);
registerComponentCommands(program);
registerVersionCommands(program);
registerReleaseCommands(program);
registerEnvironmentCommands(program);
registerTargetCommands(program);
registerTokenCommands(program);
registerWhoamiCommand(program);
registerAuditCommands(program);
registerModelCommands(program);
registerDeploymentCommands(program);
registerStatusCommand(program);
registerWorkCommands(program);
registerRecordCommands(program);
registerNotificationCommands(program);

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Commander has already printed the problem or the help text.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  if (error instanceof SlipwayError) {
    process.stderr.write(`slipway: ${error.message} (${error.code})\n`);
  } else {
    process.stderr.write(`slipway: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
