import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

/** The dialects a query is compiled for. */
type Dialect = 'sqlite' | 'postgres';

/** Stands for one parameter while a prepared query is built and compiled. */
class Placeholder {
  constructor(readonly index: number) {}
}

interface Compiled<Row> {
  query: CompiledQuery<Row>;
  /** For each parameter of the compiled query: the index of the argument it takes, or undefined for a constant. */
  slots: readonly (number | undefined)[];
}

/**
 * A query that is built and compiled once per dialect, then run with new arguments. Building
 * and compiling a Kysely query costs more than SQLite takes to run a small one, and the engine
 * runs the same few queries for every transition. The builder receives placeholders instead of
 * arguments, so every argument must reach the query as a value (never `undefined`, never a
 * list whose length varies, never something that changes the SQL text). The compiled SQL is
 * shared by every store of a dialect, which holds because the stores' Kysely instances have
 * no plugins that rewrite queries.
 */
export class PreparedQuery<Arguments extends readonly unknown[], Row> {
  private readonly compiled = new Map<Dialect, Compiled<Row>>();

  constructor(
    private readonly arity: Arguments['length'],
    private readonly build: (db: Kysely<Database>, dialect: Dialect, ...values: Arguments) => Compilable<Row>,
  ) {}

  /** Runs the query on the pool or on a transaction of a store of this dialect. */
  async execute(db: Kysely<Database>, dialect: Dialect, ...values: Arguments): Promise<QueryResult<Row>> {
    let compiled = this.compiled.get(dialect);
    if (compiled === undefined) {
      const placeholders = Array.from({ length: this.arity }, (_, index) => new Placeholder(index));
      const query = this.build(db, dialect, ...(placeholders as unknown as Arguments)).compile();
      const slots = query.parameters.map((value) => (value instanceof Placeholder ? value.index : undefined));
      compiled = { query, slots };
      this.compiled.set(dialect, compiled);
    }
    const { query, slots } = compiled;
    return db.executeQuery<Row>({
      ...query,
      parameters: slots.map((slot, position) =>
        slot === undefined ? query.parameters[position] : values[slot],
      ),
    });
  }

  /** Runs the query and returns its rows. */
  async rows(db: Kysely<Database>, dialect: Dialect, ...values: Arguments): Promise<Row[]> {
    return (await this.execute(db, dialect, ...values)).rows;
  }

  /** Runs the query and returns its first row, if any. */
  async first(db: Kysely<Database>, dialect: Dialect, ...values: Arguments): Promise<Row | undefined> {
    return (await this.execute(db, dialect, ...values)).rows[0];
  }
}
