import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { InputError } from '../domain/index.js';

// ajv-formats is CommonJS; its callable export sits on `default` under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const shared: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };

const nul = '\u0000';

/**
 * Where the first string (or object key) holding U+0000 sits inside a request part, as a
 * JSON pointer. Iterative, because a body may be nested far deeper than the call stack.
 */
function nulPath(root: unknown, prefix: string): string | undefined {
  const pending: { value: unknown; path: string }[] = [{ value: root, path: prefix }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      if (value.includes(nul)) return path;
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        pending.push({ value: item, path: `${path}/${index}` });
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        const pointer = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (key.includes(nul)) return pointer;
        pending.push({ value: item, path: pointer });
      }
    }
  }
  return undefined;
}

/**
 * Bodies are JSON and validated strictly: a number where a string belongs is an error, not
 * a guess. Query strings and path parameters only carry text, so they are coerced to the
 * declared types (and single values to arrays).
 */
export function installValidation(app: FastifyInstance): void {
  const strict = addFormats(new Ajv({ ...shared, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...shared, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  );
  // PostgreSQL text cannot hold U+0000 (SQLite can), so such input would fail in the store
  // with a 500 on one dialect only. No Slipway field needs it: refuse it at the edge, everywhere.
  app.addHook('preValidation', async (request) => {
    // A request that matched no route gets its 404, whatever it carries.
    if (request.is404) return;
    const path =
      nulPath(request.params, '/params') ??
      nulPath(request.query, '/querystring') ??
      nulPath(request.body, '/body');
    if (path !== undefined) {
      const message = 'must not contain the NUL character (U+0000)';
      throw new InputError(`${path} ${message}.`, [{ path, message }]);
    }
  });
}
