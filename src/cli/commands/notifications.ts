import type { Command } from 'commander';
import type { Notification } from '../../domain/index.js';
import { run, withConnectionOptions } from '../context.js';
import { type Column, formatTime } from '../output.js';

interface NotificationOptions {
  full?: boolean;
}

interface SubscribeOptions {
  service?: string;
  environment?: string;
}

/** `slipway notifications` and `slipway subscribe`: being told when deployments end. */
export function registerNotificationCommands(program: Command): void {
  withConnectionOptions(
    program
      .command('notifications')
      .description('Your notifications, newest first: deployments you requested or subscribed to that ended')
      .option('--full', 'show the whole message instead of its subject'),
  ).action(
    run<NotificationOptions>(async ({ client, output, options }) => {
      const page = await client.get<{ items: Notification[] }>('/notifications');
      const columns: Column<Notification>[] = [
        { header: 'at', cell: (notification) => formatTime(notification.createdAt) },
        { header: 'kind', cell: (notification) => notification.kind },
        options.full === true
          ? { header: 'message', cell: (notification) => notification.body, maxWidth: 400 }
          : { header: 'subject', cell: (notification) => notification.subject, maxWidth: 100 },
        { header: 'deployment', cell: (notification) => notification.deploymentId ?? '' },
      ];
      output.page(page, columns, 'No notifications.');
    }),
  );

  withConnectionOptions(
    program
      .command('subscribe')
      .description('Be told when deployments of a service, into an environment, or both, end')
      .option('--service <service>', 'deployments of this service')
      .option('--environment <environment>', 'deployments into this environment'),
  ).action(
    run<SubscribeOptions>(async ({ client, output, options }) => {
      const { body } = await client.post<{ id: string }>('/subscriptions', {
        ...(options.service !== undefined && { service: options.service }),
        ...(options.environment !== undefined && { environment: options.environment }),
      });
      const scope = [
        options.service === undefined ? 'of any service' : `of service ${options.service}`,
        options.environment === undefined ? 'into any environment' : `into ${options.environment}`,
      ].join(' ');
      output.result(
        body,
        () =>
          `Subscribed (${body.id}): you will be told when deployments ${scope} end. Read them with \`slipway notifications\`.`,
      );
    }),
  );
}
