import { Command } from 'commander';
import { type Connection, resolveConnection, SlipwayClient } from './client.js';
import { UsageError } from './options.js';
import { Output } from './output.js';

/** Options every client command accepts. */
export interface CommonOptions {
  json?: boolean;
  url?: string;
  token?: string;
}

/** What a client command works with: its arguments and options, the server, and its output. */
export interface CommandContext<Options> {
  options: Options;
  client: SlipwayClient;
  output: Output;
  /** The positional argument at this index; commander has made sure required ones exist. */
  argument(index: number): string;
  /** The positional argument at this index, when it was given. */
  optionalArgument(index: number): string | undefined;
  /** The values of a variadic argument (`<items...>`); empty when none were given. */
  argumentList(index: number): string[];
}

/** Adds --json, --url and --token to a client command. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('--json', 'print the raw JSON answer of the server, for scripts')
    .option('--url <url>', 'server to talk to (default: $SLIPWAY_URL, else http://127.0.0.1:4300)')
    .option(
      '--token <token>',
      'API token (default: $SLIPWAY_TOKEN, else the admin token file <$SLIPWAY_DATA_DIR or ./.slipway>/admin-token written by `slipway up`)',
    );
}

/**
 * Wraps a client command's handler: resolves the connection, runs it, and turns any failure
 * into a message on stderr and a non-zero exit code (2 for usage errors, 1 otherwise).
 */
export function run<Options>(
  handler: (context: CommandContext<Options>) => Promise<void>,
): (...received: unknown[]) => Promise<void> {
  return async (...received) => {
    const command = received[received.length - 1];
    if (!(command instanceof Command)) throw new Error('A command handler was called without its command.');
    const options = command.opts<Options & CommonOptions>();
    const output = new Output(options.json === true);
    const args: unknown[] = command.processedArgs;
    let connection: Connection | undefined;
    try {
      connection = resolveConnection({
        ...(options.url !== undefined && { url: options.url }),
        ...(options.token !== undefined && { token: options.token }),
      });
      const client = new SlipwayClient(connection);
      await handler({
        options,
        client,
        output,
        argument: (index) => {
          const value = args[index];
          if (typeof value !== 'string') throw new UsageError(`Argument ${index + 1} is missing.`);
          return value;
        },
        optionalArgument: (index) => {
          const value = args[index];
          return typeof value === 'string' ? value : undefined;
        },
        argumentList: (index) => {
          const value = args[index];
          if (typeof value === 'string') return [value];
          return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
        },
      });
    } catch (error) {
      process.exitCode = output.failure(error, connection);
    }
  };
}
