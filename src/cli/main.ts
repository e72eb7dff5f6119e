#!/usr/bin/env node
import { Command } from 'commander';
import { SlipwayError } from '../domain/index.js';
import { readServerConfig } from './config.js';
import { startServer } from './serve.js';
import { slipwayVersion } from './version.js';

async function serveUntilSignalled(): Promise<void> {
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
  .version(slipwayVersion);

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

program.parseAsync().catch((error: unknown) => {
  if (error instanceof SlipwayError) {
    process.stderr.write(`slipway: ${error.message} (${error.code})\n`);
  } else {
    process.stderr.write(`slipway: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
