import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type Action,
  isAllowed,
  NotAllowedError,
  permissions,
  UnauthenticatedError,
} from '../domain/index.js';
import type { AccessControl, Caller } from '../governance/index.js';

/** What a route is guarded by: an action from the permission table, or nothing at all. */
export type RouteAccess = Action | 'public';

/** One registered route and the access it declares. */
export interface RouteAccessEntry {
  method: string;
  url: string;
  access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared access, for documentation and the role tests. */
    routeAccess: RouteAccessEntry[];
  }
  interface FastifyContextConfig {
    /** The action this route performs; the permission table says who may. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    caller: Caller | undefined;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The caller of a protected route; handlers run only after authentication succeeded. */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === undefined) throw new UnauthenticatedError();
  return request.caller;
}

/**
 * Authenticates and authorizes every request before its body is read or validated. A
 * route without a declared access is a programming error and stops the server at start.
 */
export function installAuthentication(app: FastifyInstance, access: AccessControl): void {
  app.decorateRequest('caller', undefined);
  const table: RouteAccessEntry[] = [];
  app.decorate('routeAccess', table);

  app.addHook('onRoute', (route) => {
    const declared = (route.config as { access?: RouteAccess } | undefined)?.access;
    if (declared === undefined) throw new Error(`Route ${route.method} ${route.url} declares no access.`);
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: route.url, access: declared });
    }
  });

  app.addHook('onRequest', async (request) => {
    const declared = request.routeOptions.config.access;
    // Unmatched routes fall through to the not-found handler.
    if (declared === undefined || declared === 'public') return;
    const caller = await access.authenticate(bearerToken(request));
    request.caller = caller;
    if (!isAllowed(declared, caller.principal.roles)) {
      throw new NotAllowedError(
        `Your roles (${caller.principal.roles.join(', ')}) may not perform ${declared}.`,
        {
          action: declared,
          allowedRoles: [...permissions[declared]],
        },
      );
    }
  });
}
