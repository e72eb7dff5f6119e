import type { Command } from 'commander';
import { run, withConnectionOptions } from '../context.js';
import { formatDetails } from '../output.js';

interface VerifyOptions {
  deployment?: string;
}

/** What GET /records/verify answers. */
interface Verification {
  intact: boolean;
  deploymentsChecked: number;
  eventsChecked: number;
  broken?: { deploymentId: string; eventId: string; sequence: number; reason: string; message: string };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `slipway records verify`: walks the hash chains of the records and names the first broken link. */
export function registerRecordCommands(program: Command): void {
  const records = program
    .command('records')
    .description('Deployment records: append-only, each event chained to the one before by its hash');

  withConnectionOptions(
    records
      .command('verify')
      .description(
        'Check that no record was altered or cut; exits 1 and names the first broken link if one was',
      )
      .option('--deployment <id>', 'check only the record of this deployment'),
  ).action(
    run<VerifyOptions>(async ({ client, output, options }) => {
      const result = await client.get<Verification>('/records/verify', { deployment: options.deployment });
      const checked = `${plural(result.deploymentsChecked, 'deployment')}, ${plural(result.eventsChecked, 'event')} checked`;
      output.result(result, () => {
        const broken = result.broken;
        if (result.intact || broken === undefined) return `Records intact: ${checked}.`;
        return [
          `Records BROKEN: ${broken.message}`,
          '',
          formatDetails([
            ['Deployment', broken.deploymentId],
            ['Event', `${broken.sequence} (${broken.eventId})`],
            ['Problem', broken.reason],
            ['Checked', `${checked} up to the broken link`],
          ]),
        ].join('\n');
      });
      if (!result.intact) process.exitCode = 1;
    }),
  );
}
