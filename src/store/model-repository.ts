import type { Kysely } from 'kysely';
import { type ModelVersion, NotFoundError } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { Database, ModelVersionTable } from './schema.js';
import { fromJson, isId, newId } from './support.js';

/** A parsed model ready to be stored. */
export interface ModelApplication {
  name: string;
  source: string;
  definition: unknown;
  fingerprint: string;
  changelog: string;
}

/** A model with its latest version number. */
export interface ModelSummary {
  id: string;
  name: string;
  latestVersion: number;
  versions: number;
  createdAt: string;
  updatedAt: string;
}

type ModelVersionRow = ModelVersionTable & { model_name: string };

function toModelVersion(row: ModelVersionRow): ModelVersion {
  return {
    id: row.id,
    modelId: row.model_id,
    model: row.model_name,
    number: row.number,
    changelog: row.changelog,
    fingerprint: row.fingerprint,
    source: row.source,
    definition: fromJson<unknown>(row.definition),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

/** Deployment models and their immutable versions. */
export class ModelRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Stores a model. A changed model becomes a new version with its changelog entry; the
   * same model applied again (same fingerprint as the latest version) changes nothing.
   */
  async apply(
    input: ModelApplication,
    actorId: string,
  ): Promise<{ version: ModelVersion; created: boolean }> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      let model = await trx
        .selectFrom('deployment_models')
        .selectAll()
        .where('name', '=', input.name)
        .executeTakeFirst();
      const at = this.now().toISOString();
      if (model === undefined) {
        model = { id: newId(), name: input.name, created_at: at, created_by: actorId };
        await trx.insertInto('deployment_models').values(model).execute();
      }
      const latest = await trx
        .selectFrom('model_versions')
        .select(['id', 'number', 'fingerprint'])
        .where('model_id', '=', model.id)
        .orderBy('number', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (latest !== undefined && latest.fingerprint === input.fingerprint)
        return { id: latest.id, created: false };
      const id = newId();
      const number = (latest?.number ?? 0) + 1;
      await trx
        .insertInto('model_versions')
        .values({
          id,
          model_id: model.id,
          number,
          source: input.source,
          definition: JSON.stringify(input.definition),
          fingerprint: input.fingerprint,
          changelog: input.changelog,
          created_at: at,
          created_by: actorId,
        })
        .execute();
      await this.audit.record(trx, {
        actorId,
        action: 'model.applied',
        subjectType: 'model',
        subjectId: model.id,
        details: { name: input.name, version: number, changelog: input.changelog },
      });
      return { id, created: true };
    });
    return { version: await this.getVersionById(outcome.id), created: outcome.created };
  }

  private versionQuery() {
    return this.db
      .selectFrom('model_versions')
      .innerJoin('deployment_models', 'deployment_models.id', 'model_versions.model_id')
      .selectAll('model_versions')
      .select('deployment_models.name as model_name');
  }

  /** Gets a model version by its id. */
  async getVersionById(id: string): Promise<ModelVersion> {
    const row = await this.versionQuery().where('model_versions.id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('model version', id);
    return toModelVersion(row);
  }

  /** Gets a version of a model by number, or the latest without a number. */
  async getVersion(modelReference: string, number?: number): Promise<ModelVersion> {
    let query = this.versionQuery()
      .where(isId(modelReference) ? 'deployment_models.id' : 'deployment_models.name', '=', modelReference)
      .orderBy('model_versions.number', 'desc')
      .limit(1);
    if (number !== undefined) query = query.where('model_versions.number', '=', number);
    const row = await query.executeTakeFirst();
    if (row === undefined)
      throw new NotFoundError(
        number === undefined ? 'model' : 'model version',
        number === undefined ? modelReference : `${modelReference} v${number}`,
      );
    return toModelVersion(row);
  }

  /** Every version of a model, newest first. */
  async listVersions(modelReference: string): Promise<ModelVersion[]> {
    const rows = await this.versionQuery()
      .where(isId(modelReference) ? 'deployment_models.id' : 'deployment_models.name', '=', modelReference)
      .orderBy('model_versions.number', 'desc')
      .execute();
    if (rows.length === 0) throw new NotFoundError('model', modelReference);
    return rows.map(toModelVersion);
  }

  /** The latest version of every model. */
  async listLatest(): Promise<ModelVersion[]> {
    const rows = await this.versionQuery()
      .orderBy('deployment_models.name')
      .orderBy('model_versions.number', 'desc')
      .execute();
    const seen = new Set<string>();
    return rows.filter((row) => !seen.has(row.model_id) && seen.add(row.model_id)).map(toModelVersion);
  }
}
