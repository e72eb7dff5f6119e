import { createHash } from 'node:crypto';
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** The body every error response carries. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { problems?: { path: string; message: string }[] } & Record<string, unknown>;
  };
}

/** One request to the in-process server. */
export interface Call {
  method?: HTTPMethods;
  url: string;
  /** Bearer token; none is sent when absent. */
  token?: string;
  /** Sent as JSON unless `raw` is given. */
  body?: unknown;
  /** Sent byte for byte, with `contentType` (default application/json). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Sends one request through `inject`: no socket, the whole Fastify pipeline. */
export async function send(app: FastifyInstance, call: Call): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
  let payload: string | undefined;
  if (call.raw !== undefined) payload = call.raw;
  else if (call.body !== undefined) payload = JSON.stringify(call.body);
  if (payload !== undefined) headers['content-type'] = call.contentType ?? 'application/json';
  return app.inject({
    method: call.method ?? 'GET',
    url: call.url,
    headers,
    ...(payload !== undefined && { payload }),
  });
}

/** The JSON body of a response that must have the given status. */
export function expectStatus<T>(response: LightMyRequestResponse, status: number): T {
  expect(response.statusCode, `${response.statusCode} ${response.body.slice(0, 500)}`).toBe(status);
  return response.json<T>();
}

/** Asserts an error response with a status and code, and returns its error object. */
export function expectError(
  response: LightMyRequestResponse,
  status: number,
  code: string,
): ErrorBody['error'] {
  const body = expectStatus<ErrorBody>(response, status);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

/** Asserts a 400 whose problems name the given field path. */
export function expectFieldProblem(response: LightMyRequestResponse, path: string): void {
  const error = expectError(response, 400, 'validation_failed');
  const paths = (error.details?.problems ?? []).map((problem) => problem.path);
  expect(paths).toContain(path);
}

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Follows nextCursor from the first page to the last and returns every page. */
export async function walkPages<T>(
  app: FastifyInstance,
  token: string,
  url: string,
  limit: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const separator = url.includes('?') ? '&' : '?';
    const pageUrl = `${url}${separator}limit=${limit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = expectStatus<Page<T>>(await send(app, { url: pageUrl, token }), 200);
    pages.push(page.items);
    cursor = page.nextCursor;
    if (pages.length > 1000) throw new Error(`paging ${url} does not end`);
  } while (cursor !== undefined);
  return pages;
}

/** The SHA-256 digest of some text, written as the API expects it. */
export function digestOf(content: string): string {
  return `sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`;
}
