import { type Static, Type } from '@sinclair/typebox';
import { durationField } from '../model/duration.js';
import { renderTemplate } from '../model/template.js';
import { definedFields, optionalField, type StepKind, stepCommonFields } from './step-kind.js';

/** Used when an http-check gives no expected status. */
export const defaultExpectedStatus = 200;
/** Used when an http-check gives no interval between tries. */
export const defaultCheckInterval = '5s';
/** Used when an http-check gives no timeout for one request. */
export const defaultCheckTimeout = '10s';

/** An HTTP request whose answer must match what is expected. */
export const HttpCheckStepSchema = Type.Object(
  {
    type: Type.Literal('http-check'),
    ...stepCommonFields,
    url: Type.String({
      minLength: 1,
      maxLength: 2_000,
      pattern: '^(https?://|\\{\\{)',
      description:
        'http:// or https:// URL; placeholders such as {{ target.facts.hostname }} are filled in first',
    }),
    expect: Type.Optional(
      Type.Object(
        {
          status: Type.Optional(
            Type.Integer({ minimum: 100, maximum: 599, description: 'Expected HTTP status; default 200' }),
          ),
          bodyContains: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 2_000,
              description: 'Text the response body must contain',
            }),
          ),
        },
        { additionalProperties: false, description: 'What the response must look like' },
      ),
    ),
    retries: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_000,
        description: 'How many more tries after a failed one before the check fails; default 0',
      }),
    ),
    interval: Type.Optional(durationField('Pause between tries; default 5s')),
    timeout: Type.Optional(durationField('How long one request may take; default 10s')),
  },
  {
    additionalProperties: false,
    title: 'http-check step',
    description: 'Sends a GET request and checks the status and, optionally, the body',
  },
);
/** An http-check step as written in a model. */
export type HttpCheckStep = Static<typeof HttpCheckStepSchema>;

/** The http-check step type. */
export const httpCheckStep: StepKind<HttpCheckStep> = {
  type: 'http-check',
  schema: HttpCheckStepSchema,
  automated: true,
  // A GET that only reads is harmless to send again.
  safeToRepeat: () => true,
  timeout: (step) => step.timeout,
  templateFields: (step) =>
    definedFields([
      { field: '/url', text: step.url },
      optionalField('/expect/bodyContains', step.expect?.bodyContains),
    ]),
  durationFields: (step) =>
    definedFields([optionalField('/interval', step.interval), optionalField('/timeout', step.timeout)]),
  describe: (step, context) => {
    const url = renderTemplate(step.url, context).text;
    const status = step.expect?.status ?? defaultExpectedStatus;
    const body = step.expect?.bodyContains;
    const expectation =
      body === undefined
        ? `status ${status}`
        : `status ${status} and a body containing "${renderTemplate(body, context).text}"`;
    const retries = step.retries ?? 0;
    const tries =
      retries === 0 ? 'one try' : `up to ${retries + 1} tries ${step.interval ?? defaultCheckInterval} apart`;
    return {
      summary: `GET ${url} expecting ${expectation} (${tries}, ${step.timeout ?? defaultCheckTimeout} per request)`,
      details: [],
    };
  },
};
