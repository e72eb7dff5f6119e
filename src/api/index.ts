export type { RouteAccess, RouteAccessEntry } from './auth.js';
export { buildServer, type ServerOptions } from './server.js';
