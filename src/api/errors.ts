import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, type FieldProblem, SlipwayError } from '../domain/index.js';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const statusOfCode: Record<string, number> = {
  [ErrorCode.validationFailed]: 400,
  [ErrorCode.malformedRequest]: 400,
  [ErrorCode.unauthenticated]: 401,
  [ErrorCode.forbidden]: 403,
  [ErrorCode.notFound]: 404,
  [ErrorCode.payloadTooLarge]: 413,
  [ErrorCode.unsupportedMediaType]: 415,
};

/** HTTP status of a Slipway error: known codes map directly, every other code is a conflict. */
function statusOf(error: SlipwayError): number {
  return (
    statusOfCode[error.code] ??
    (error.code === ErrorCode.storeTooNew || error.code === ErrorCode.internal ? 500 : 409)
  );
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turns schema validation errors into field problems with JSON-pointer paths. */
function problemsOf(validation: readonly AjvError[], context: string | undefined): FieldProblem[] {
  const located = validation.map((issue) => ({
    issue,
    path: `/${context ?? 'body'}${issue.instancePath ?? ''}`,
  }));
  // A choice of fixed values is an anyOf of consts: say once which values are allowed.
  const choices = new Map<string, string[]>();
  for (const { issue, path } of located) {
    if (issue.keyword === 'const' && issue.params?.allowedValue !== undefined) {
      choices.set(path, [...(choices.get(path) ?? []), String(issue.params.allowedValue)]);
    }
  }
  const problems: FieldProblem[] = [];
  const reported = new Set<string>();
  for (const { issue, path } of located) {
    const params = issue.params ?? {};
    const allowed = choices.get(path);
    if (allowed !== undefined && (issue.keyword === 'const' || issue.keyword === 'anyOf')) {
      if (!reported.has(path)) problems.push({ path, message: `must be one of ${allowed.join(', ')}` });
      reported.add(path);
      continue;
    }
    if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
      problems.push({ path: `${path}/${params.missingProperty}`, message: 'is required' });
    } else if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      problems.push({ path: `${path}/${params.additionalProperty}`, message: 'is not a known property' });
    } else if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      problems.push({ path, message: `must be one of ${params.allowedValues.join(', ')}` });
    } else {
      problems.push({ path, message: issue.message ?? 'is invalid' });
    }
  }
  return problems;
}

/** Maps Fastify's own request errors (parsing, size, media type) to codes. */
function fastifyRequestError(error: FastifyError): { status: number; body: ErrorBody } | undefined {
  const status = error.statusCode ?? 0;
  if (status < 400 || status >= 500) return undefined;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      body: {
        error: {
          code: ErrorCode.payloadTooLarge,
          message: 'The request body is larger than the server accepts.',
        },
      },
    };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      status: 415,
      body: {
        error: {
          code: ErrorCode.unsupportedMediaType,
          message: 'Send the request body as application/json.',
        },
      },
    };
  }
  return {
    status: status === 413 || status === 415 ? status : 400,
    body: { error: { code: ErrorCode.malformedRequest, message: error.message } },
  };
}

/**
 * Answers the errors Fastify's router raises before any hook or handler runs (a URL whose
 * percent-encoding does not decode, a path parameter over the length limit) with the same
 * error body as every other error; Fastify's own body for them has a different shape.
 */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 400;
  let message = error.message;
  if (error.code === 'FST_ERR_BAD_URL') message = 'The request URL is not valid: check its percent-encoding.';
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') message = 'An id or name in the request URL is too long.';
  reply.status(status).send({
    error: { code: status >= 500 ? ErrorCode.internal : ErrorCode.malformedRequest, message },
  } satisfies ErrorBody);
}

/** Installs the one place where errors become HTTP responses. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation !== undefined) {
      const problems = problemsOf(error.validation as AjvError[], error.validationContext);
      const first = problems[0];
      return reply.status(400).send({
        error: {
          code: ErrorCode.validationFailed,
          message: first === undefined ? 'The request is invalid.' : `${first.path} ${first.message}.`,
          details: { problems },
        },
      } satisfies ErrorBody);
    }
    if (error instanceof SlipwayError) {
      const status = statusOf(error);
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(status).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.details !== undefined && { details: error.details }),
        },
      } satisfies ErrorBody);
    }
    const mapped = fastifyRequestError(error);
    if (mapped !== undefined) return reply.status(mapped.status).send(mapped.body);
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send({
      error: {
        code: ErrorCode.internal,
        message: 'The server failed to handle this request; the failure is logged.',
      },
    } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: ErrorCode.notFound,
        message: `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`,
      },
    } satisfies ErrorBody),
  );
}
