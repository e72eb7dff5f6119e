import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DeploymentCommands } from '../engine/index.js';
import {
  type AccessControl,
  ChangeCommands,
  IncidentCommands,
  type IncidentOptions,
  PolicyCommands,
  ScheduleCommands,
  TriggerCommands,
  WindowCommands,
} from '../governance/index.js';
import { WebhookWorker } from '../notify/index.js';
import type { Store } from '../store/index.js';
import { installAuthentication } from './auth.js';
import { answerFrameworkError, installErrorHandling } from './errors.js';
import { installMetrics } from './metrics.js';
import { accessRoutes } from './routes/access.js';
import { catalogRoutes } from './routes/catalog.js';
import { changeRoutes } from './routes/changes.js';
import { deploymentRoutes } from './routes/deployments.js';
import { environmentRoutes } from './routes/environments.js';
import { healthRoutes } from './routes/health.js';
import { incidentRoutes } from './routes/incidents.js';
import { modelRoutes } from './routes/models.js';
import { policyRoutes } from './routes/policies.js';
import { recordRoutes } from './routes/records.js';
import { scheduleRoutes } from './routes/schedule.js';
import { hookRoutes, triggerRoutes } from './routes/triggers.js';
import { webhookRoutes } from './routes/webhooks.js';
import { windowRoutes } from './routes/windows.js';
import { workRoutes } from './routes/work.js';
import { ErrorResponse } from './schemas.js';
import { installValidation } from './validation.js';

/** What the HTTP server is built from. */
export interface ServerOptions {
  store: Store;
  access: AccessControl;
  /** The engine's commands (deploy, cancel, promote, tasks, gates). */
  commands: DeploymentCommands;
  /** pino log level; `silent` in tests (default info). */
  logLevel?: string;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Version reported in the OpenAPI document. */
  version?: string;
  /**
   * The worker that sends outbound webhooks; redeliveries wake it. Without one, an idle
   * worker is made here and redeliveries wait for whichever worker polls the store next.
   */
  webhookWorker?: WebhookWorker;
  /** How incidents are correlated with deployments (default window 24 h). */
  incidents?: IncidentOptions;
}

/** Builds the HTTP server with every route registered; the caller decides when to listen. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info' },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Ids and names arrive in paths; keep them bounded.
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Bodies are JSON only: without this, text/plain is parsed as a string and fails validation
  // with a confusing 400 instead of a 415 that names the media type to use.
  app.removeContentTypeParser('text/plain');

  installValidation(app);
  installErrorHandling(app);
  installAuthentication(app, options.access);
  installMetrics(app);
  app.addSchema(ErrorResponse);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Slipway API',
        version: options.version ?? '0.0.0',
        description: 'Deployment management: catalog, environments, deployments, records and insight.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json.$id === 'string' ? json.$id : `def-${index}`,
    },
  });

  await app.register(healthRoutes(options.store));
  await app.register(
    async (api) => {
      api.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
        app.swagger(),
      );
      await api.register(catalogRoutes(options.store));
      await api.register(environmentRoutes(options.store));
      await api.register(accessRoutes(options.store, options.access));
      await api.register(modelRoutes(options.store));
      await api.register(deploymentRoutes(options.store, options.commands));
      await api.register(workRoutes(options.store, options.commands));
      await api.register(recordRoutes(options.store));
      const windows = new WindowCommands(options.store);
      await api.register(windowRoutes(windows));
      await api.register(changeRoutes(new ChangeCommands(options.store)));
      await api.register(policyRoutes(new PolicyCommands(options.store)));
      await api.register(scheduleRoutes(new ScheduleCommands(options.store, windows)));
      const triggers = new TriggerCommands(options.store, options.commands);
      await api.register(triggerRoutes(options.store, triggers));
      // Its own context: its JSON parser keeps the raw bytes the signatures cover.
      await api.register(hookRoutes(options.store, triggers));
      await api.register(
        incidentRoutes(options.store, new IncidentCommands(options.store, options.incidents)),
      );
      await api.register(
        webhookRoutes(options.store, options.webhookWorker ?? new WebhookWorker(options.store)),
      );
    },
    { prefix: '/api/v1' },
  );
  return app;
}
