import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../store/index.js';

/** Liveness and readiness probes for process supervisors and load balancers. */
export function healthRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', { config: { access: 'public' }, schema: { hide: true } }, async () => ({
      status: 'ok',
    }));
    app.get('/readyz', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
      const ready = await store.isReady();
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'store unavailable', store: store.dialect });
    });
  };
}
