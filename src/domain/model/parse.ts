import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type FieldProblem, InputError } from '../errors.js';
import { modelRuleProblems } from './rules.js';
import { type DeploymentModel, DeploymentModelSchema } from './schema.js';
import { type SchemaProblem, schemaProblems } from './schema-problems.js';

/** The largest model text accepted, in characters; real models are a few kilobytes. */
export const maximumModelLength = 1_000_000;

/** A problem with a model, located by JSON pointer and, when the model came as text, by line and column. */
export interface ModelProblem extends FieldProblem {
  /** 1-based line in the YAML or JSON text. */
  line?: number;
  /** 1-based column in the YAML or JSON text. */
  column?: number;
}

/** The outcome of validating a model: the typed model, or every problem found. */
export type ModelValidation =
  | { valid: true; model: DeploymentModel }
  | { valid: false; problems: ModelProblem[]; error: InputError };

/** Writes a problem the way the CLI prints it: `line 4, column 9: /stages/0/steps/0/type must be ...`. */
export function formatModelProblem(problem: ModelProblem): string {
  const where = problem.line === undefined ? '' : `line ${problem.line}, column ${problem.column ?? 1}: `;
  return `${where}${problem.path === '' ? 'the model' : problem.path} ${problem.message}`;
}

function invalid(problems: ModelProblem[]): ModelValidation {
  const [first] = problems;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const message =
    first === undefined
      ? 'The deployment model is not valid.'
      : `The deployment model has ${count}; the first: ${formatModelProblem(first)}. Fix them and validate again.`;
  return { valid: false, problems, error: new InputError(message, problems) };
}

function decodePointer(path: string): string[] {
  if (path === '') return [];
  return path
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * Finds the YAML node a JSON pointer names. When the pointer goes further than the text
 * (a required field is missing), the deepest node that exists is the place to point at.
 * Unknown fields are reported at their key, everything else at its value.
 */
function locateNode(contents: Node | null, path: string, atKey: boolean): Node | undefined {
  let node: Node | undefined = contents ?? undefined;
  const segments = decodePointer(path);
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (pair === undefined) return node;
      const key = isScalar(pair.key) ? pair.key : undefined;
      const value = pair.value as Node | null;
      if (last && atKey && key !== undefined) return key;
      // A key without a value (`steps:`) has an empty value at the end of the line; point at the key.
      const empty =
        value === null ||
        value.range === undefined ||
        value.range === null ||
        value.range[0] === value.range[1];
      node = empty ? (key ?? node) : value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (item === undefined) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}

function located(
  problems: readonly SchemaProblem[],
  contents: Node | null,
  lineCounter: LineCounter,
): ModelProblem[] {
  const withPositions = problems.map(({ path, message, atKey }): ModelProblem => {
    const node = locateNode(contents, path, atKey === true);
    const offset = node?.range?.[0];
    if (offset === undefined) return { path, message };
    const position = lineCounter.linePos(offset);
    return { path, message, line: position.line, column: position.col };
  });
  // Present problems in the order of the text, so a person can work down the file.
  return withPositions
    .map((problem, order) => ({ problem, order }))
    .sort(
      (left, right) =>
        (left.problem.line ?? 0) - (right.problem.line ?? 0) ||
        (left.problem.column ?? 0) - (right.problem.column ?? 0) ||
        left.order - right.order,
    )
    .map(({ problem }) => problem);
}

function validateValue(value: unknown): { model?: DeploymentModel; problems: SchemaProblem[] } {
  if (value === null || value === undefined) {
    return {
      problems: [
        { path: '', message: 'is empty: expected a mapping with apiVersion, kind, name and stages' },
      ],
    };
  }
  const problems = schemaProblems(DeploymentModelSchema, value);
  if (problems.length > 0) return { problems };
  const model = value as DeploymentModel;
  const ruleProblems = modelRuleProblems(model);
  return ruleProblems.length > 0 ? { problems: ruleProblems } : { model, problems: [] };
}

/**
 * Validates a model written as YAML (JSON is YAML too): its syntax, the JSON Schema, and the
 * rules beyond the schema. Every problem carries its JSON pointer and its line and column.
 */
export function validateModel(text: string): ModelValidation {
  if (text.length > maximumModelLength) {
    return invalid([
      {
        path: '',
        message: `is ${text.length} characters long; a model may be at most ${maximumModelLength}`,
      },
    ]);
  }
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *install`) let a model reuse a step with a field or two changed.
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    logLevel: 'error',
  });
  if (document.errors.length > 0) {
    return invalid(
      document.errors.map((error): ModelProblem => {
        const position = lineCounter.linePos(error.pos[0]);
        const message =
          error.code === 'MULTIPLE_DOCS'
            ? 'holds several YAML documents; a model file holds exactly one'
            : `is not valid YAML: ${error.message}`;
        return { path: '', message, line: position.line, column: position.col };
      }),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return invalid([{ path: '', message: `cannot be read: ${(error as Error).message}` }]);
  }
  const result = validateValue(value);
  if (result.model !== undefined) return { valid: true, model: result.model };
  return invalid(located(result.problems, document.contents, lineCounter));
}

/** Reads and validates a model written as YAML or JSON; throws an InputError listing every problem. */
export function parseModel(text: string): DeploymentModel {
  const result = validateModel(text);
  if (!result.valid) throw result.error;
  return result.model;
}

/**
 * Validates a model that is already a value (a JSON request body, a stored copy). Problems
 * carry JSON pointers but no lines, since there is no text to point into.
 */
export function validateModelValue(value: unknown): ModelValidation {
  const result = validateValue(value);
  if (result.model !== undefined) return { valid: true, model: result.model };
  return invalid(result.problems.map(({ path, message }) => ({ path, message })));
}

/** Validates a model that is already a value; throws an InputError listing every problem. */
export function parseModelValue(value: unknown): DeploymentModel {
  const result = validateModelValue(value);
  if (!result.valid) throw result.error;
  return result.model;
}
