/** Stable error codes that clients may rely on. */
export const ErrorCode = {
  validationFailed: 'validation_failed',
  malformedRequest: 'malformed_request',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  invalidTransition: 'invalid_transition',
  storeTooNew: 'store_too_new',
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One problem with one field of an input, located by a path such as `/manifest/0/digest`. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Base of every error a user may see: a stable code, a sentence saying what to do, and details. */
export class SlipwayError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Input that does not satisfy a schema or a rule (HTTP 400). */
export class InputError extends SlipwayError {
  readonly problems: readonly FieldProblem[];

  constructor(
    message: string,
    problems: readonly FieldProblem[] = [],
    code: string = ErrorCode.validationFailed,
  ) {
    super(code, message, problems.length > 0 ? { problems } : undefined);
    this.problems = problems;
  }
}

/** A caller without valid credentials (HTTP 401). */
export class UnauthenticatedError extends SlipwayError {
  constructor(message = 'Send a valid API token as "Authorization: Bearer <token>".') {
    super(ErrorCode.unauthenticated, message);
  }
}

/** A known caller whose roles do not allow the action (HTTP 403). */
export class NotAllowedError extends SlipwayError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.forbidden, message, details);
  }
}

/** A referenced thing that does not exist (HTTP 404). */
export class NotFoundError extends SlipwayError {
  constructor(subject: string, reference: string) {
    super(ErrorCode.notFound, `No ${subject} "${reference}" exists.`, { subject, reference });
  }
}

/** A request that contradicts what is already recorded (HTTP 409). */
export class ConflictError extends SlipwayError {
  constructor(message: string, details?: Record<string, unknown>, code: string = ErrorCode.conflict) {
    super(code, message, details);
  }
}
