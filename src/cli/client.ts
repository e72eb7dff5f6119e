import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './options.js';

/** Where the CLI looks for a server when neither --url nor SLIPWAY_URL says. */
export const defaultServerUrl = 'http://127.0.0.1:4300';

/** Where the token in use came from, so that a refusal can say what to fix. */
export type TokenSource = 'option' | 'environment' | 'admin-token-file' | 'none';

/** The server to talk to and the credentials to present. */
export interface Connection {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4300. */
  url: string;
  token: string | undefined;
  tokenSource: TokenSource;
  /** The admin token file consulted when no token was given. */
  adminTokenFile: string;
}

/** Connection settings given on the command line. */
export interface ConnectionOverrides {
  url?: string;
  token?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The admin token file that `slipway up` writes on first start. */
export function adminTokenFileOf(env: NodeJS.ProcessEnv): string {
  return join(resolve(nonEmpty(env.SLIPWAY_DATA_DIR) ?? '.slipway'), 'admin-token');
}

function readAdminTokenFile(path: string): string | undefined {
  try {
    return nonEmpty(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Decides which server and token to use: --url / --token first, then SLIPWAY_URL /
 * SLIPWAY_TOKEN, then the default URL and the admin token file of the local data dir.
 */
export function resolveConnection(
  overrides: ConnectionOverrides,
  env: NodeJS.ProcessEnv = process.env,
): Connection {
  const url = nonEmpty(overrides.url) ?? nonEmpty(env.SLIPWAY_URL) ?? defaultServerUrl;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`The server URL "${url}" is not a URL; write it like ${defaultServerUrl}.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`The server URL "${url}" must start with http:// or https://.`);
  }
  const adminTokenFile = adminTokenFileOf(env);
  const base = { url: url.replace(/\/+$/, ''), adminTokenFile };
  const optionToken = nonEmpty(overrides.token);
  if (optionToken !== undefined) return { ...base, token: optionToken, tokenSource: 'option' };
  const environmentToken = nonEmpty(env.SLIPWAY_TOKEN);
  if (environmentToken !== undefined) {
    return { ...base, token: environmentToken, tokenSource: 'environment' };
  }
  const fileToken = readAdminTokenFile(adminTokenFile);
  if (fileToken !== undefined) return { ...base, token: fileToken, tokenSource: 'admin-token-file' };
  return { ...base, token: undefined, tokenSource: 'none' };
}

/** The body of a Slipway error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error: unknown = value.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'message' in error &&
    typeof error.message === 'string'
  );
}

/** The server answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
    /** The response body as received, for --json. */
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No HTTP answer came back from the server at all. */
export class ServerUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Could not reach a Slipway server at ${url} (${reason}).`);
    this.name = 'ServerUnreachableError';
  }
}

const reasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
    return reasons[cause.code] ?? cause.code;
  }
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Query parameters; arrays repeat the parameter, undefined leaves it out. */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** An answer from the server. */
export interface ApiResponse<Body> {
  status: number;
  body: Body;
}

/** What a request sends besides its method and path. */
export interface RequestOptions {
  body?: unknown;
  query?: Query;
}

/** Builds an API path from segments, escaping each one: pathOf('components', name) → /components/… */
export function pathOf(...segments: readonly string[]): string {
  return segments.map((segment) => `/${encodeURIComponent(segment)}`).join('');
}

/** A small client for the Slipway REST API under /api/v1. */
export class SlipwayClient {
  constructor(
    readonly connection: Connection,
    private readonly timeoutMilliseconds = 30_000,
  ) {}

  /**
   * Sends one request and returns the parsed JSON answer. The Body type is what the API
   * documents for the route; it is not checked again here.
   */
  async request<Body>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<Body>> {
    const target = this.urlOf(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.connection.token !== undefined) headers.authorization = `Bearer ${this.connection.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers,
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.timeoutMilliseconds),
      });
    } catch (error) {
      throw new ServerUnreachableError(this.connection.url, reasonOf(error));
    }
    return { status: response.status, body: await this.parseAnswer<Body>(response) };
  }

  /** Reads a JSON answer, turning an error status into an ApiError. */
  private async parseAnswer<Body>(response: Response): Promise<Body> {
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(
        response.status,
        'not_json',
        `The server at ${this.connection.url} answered HTTP ${response.status} with something other than JSON; is it a Slipway server?`,
        undefined,
        text,
      );
    }
    if (!response.ok) {
      if (isErrorBody(parsed)) {
        throw new ApiError(
          response.status,
          parsed.error.code,
          parsed.error.message,
          parsed.error.details,
          parsed,
        );
      }
      throw new ApiError(
        response.status,
        `http_${response.status}`,
        `The server at ${this.connection.url} answered HTTP ${response.status} ${response.statusText}.`,
        undefined,
        parsed,
      );
    }
    return parsed as Body;
  }

  /**
   * Opens a Server-Sent Events stream and returns the answer once its headers arrived. The
   * connect timeout covers only the wait for the headers; the stream itself may stay open
   * for as long as the server keeps it, until `signal` aborts it.
   */
  async openStream(path: string, query: Query, signal: AbortSignal): Promise<Response> {
    const target = this.urlOf(path, query);
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.connection.token !== undefined) headers.authorization = `Bearer ${this.connection.token}`;
    const connecting = new AbortController();
    const abort = (): void => connecting.abort(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(
      () => connecting.abort(new DOMException('No answer in time.', 'TimeoutError')),
      this.timeoutMilliseconds,
    );
    let response: Response;
    try {
      response = await fetch(target, { headers, signal: connecting.signal });
    } catch (error) {
      signal.removeEventListener('abort', abort);
      throw new ServerUnreachableError(this.connection.url, reasonOf(connecting.signal.reason ?? error));
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      signal.removeEventListener('abort', abort);
      await this.parseAnswer<unknown>(response);
    }
    return response;
  }

  private urlOf(path: string, query: Query | undefined): URL {
    const target = new URL(`${this.connection.url}/api/v1${path}`);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      for (const item of typeof value === 'object' ? value : [value]) {
        target.searchParams.append(name, String(item));
      }
    }
    return target;
  }

  /** GET a resource and return its body. */
  async get<Body>(path: string, query?: Query): Promise<Body> {
    return (await this.request<Body>('GET', path, query === undefined ? {} : { query })).body;
  }

  /** POST a body; returns status too, since 200 and 201 mean different things for some routes. */
  async post<Body>(path: string, body: unknown): Promise<ApiResponse<Body>> {
    return this.request<Body>('POST', path, { body });
  }

  /** PATCH a resource with the given changes. */
  async patch<Body>(path: string, body: unknown): Promise<Body> {
    return (await this.request<Body>('PATCH', path, { body })).body;
  }

  /** DELETE a resource; the body is undefined for 204 answers. */
  async delete<Body>(path: string): Promise<ApiResponse<Body>> {
    return this.request<Body>('DELETE', path);
  }
}
