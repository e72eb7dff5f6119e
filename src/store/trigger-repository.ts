import { type Kysely, sql } from 'kysely';
import { NotFoundError } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { Database, TriggerRuleTable } from './schema.js';
import { decodeCursor, insertUnique, isId, newId, type Page, type PageRequest, pageOf } from './support.js';

/** A trigger rule as callers see it (its secret is never shown). */
export interface TriggerRule {
  id: string;
  name: string;
  /** The inbound webhook source it listens to (`github`, `gitlab`). */
  source: string;
  /** The repository's full name as the source names it (`acme/shop-web`). */
  repository: string;
  /** Which refs it acts on: a branch glob (`main`, `release/*`) or a full-ref glob (`refs/tags/v*`). */
  refPattern: string;
  componentId: string;
  component: string;
  /** The deployment model whose flow it starts. */
  model: string;
  environmentId: string;
  environment: string;
  /** How the version string is made from the push (`{tag}`, `{shortSha}`, …). */
  versionTemplate: string;
  active: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** A rule with the secret its requests are verified with; for inbound webhooks only. */
export interface SigningTriggerRule extends TriggerRule {
  secret: string;
}

/** A trigger rule to create; component and environment by id or name. */
export interface NewTriggerRule {
  name: string;
  source: string;
  repository: string;
  refPattern: string;
  component: string;
  model: string;
  environment: string;
  /**
   * The shared secret (GitHub) or token (GitLab). Stored as given, like webhook subscription
   * secrets: the database must be protected like the secret itself.
   */
  secret: string;
  versionTemplate: string;
  active?: boolean;
}

/** Changes to a rule; absent leaves a field as it is. */
export interface TriggerRuleChanges {
  repository?: string;
  refPattern?: string;
  component?: string;
  model?: string;
  environment?: string;
  secret?: string;
  versionTemplate?: string;
  active?: boolean;
}

/** Filters of the rule list. */
export interface TriggerRuleFilter {
  source?: string;
  repository?: string;
  active?: boolean;
}

type RuleRow = TriggerRuleTable & { component_name: string; environment_name: string };

function toRule(row: RuleRow): TriggerRule {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    repository: row.repository,
    refPattern: row.ref_pattern,
    componentId: row.component_id,
    component: row.component_name,
    model: row.model,
    environmentId: row.environment_id,
    environment: row.environment_name,
    versionTemplate: row.version_template,
    active: row.active === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Trigger rules: which pushes register which component's versions and start which flow. */
export class TriggerRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  private ruleQuery() {
    return this.db
      .selectFrom('trigger_rules')
      .innerJoin('components', 'components.id', 'trigger_rules.component_id')
      .innerJoin('environments', 'environments.id', 'trigger_rules.environment_id')
      .selectAll('trigger_rules')
      .select(['components.name as component_name', 'environments.name as environment_name']);
  }

  private async componentId(db: Kysely<Database>, reference: string): Promise<string> {
    const row = await db
      .selectFrom('components')
      .select('id')
      .where(isId(reference) ? 'id' : 'name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('component', reference);
    return row.id;
  }

  private async environmentId(db: Kysely<Database>, reference: string): Promise<string> {
    const row = await db
      .selectFrom('environments')
      .select('id')
      .where(isId(reference) ? 'id' : 'name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('environment', reference);
    return row.id;
  }

  /** Creates a rule; names are unique. */
  async create(input: NewTriggerRule, actorId: string): Promise<TriggerRule> {
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const componentId = await this.componentId(trx, input.component);
      const environmentId = await this.environmentId(trx, input.environment);
      await insertUnique(
        () =>
          trx
            .insertInto('trigger_rules')
            .values({
              id,
              name: input.name,
              source: input.source,
              repository: input.repository,
              ref_pattern: input.refPattern,
              component_id: componentId,
              model: input.model,
              environment_id: environmentId,
              secret: input.secret,
              version_template: input.versionTemplate,
              active: input.active === false ? 0 : 1,
              created_by: actorId,
              created_at: at,
              updated_at: at,
            })
            .execute(),
        `A trigger rule named "${input.name}" already exists.`,
      );
      await this.audit.record(trx, {
        actorId,
        action: 'trigger-rule.created',
        subjectType: 'trigger-rule',
        subjectId: id,
        details: {
          name: input.name,
          source: input.source,
          repository: input.repository,
          refPattern: input.refPattern,
          component: input.component,
          model: input.model,
          environment: input.environment,
        },
      });
    });
    return this.get(id);
  }

  /** One rule by id or name, or `not_found`. */
  async get(reference: string): Promise<TriggerRule> {
    const row = await this.ruleQuery()
      .where(isId(reference) ? 'trigger_rules.id' : 'trigger_rules.name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('trigger rule', reference);
    return toRule(row);
  }

  /** Rules by creation. */
  async list(filter: TriggerRuleFilter, page: PageRequest): Promise<Page<TriggerRule>> {
    let query = this.ruleQuery()
      .orderBy('trigger_rules.id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('trigger_rules.id', '>', after);
    if (filter.source !== undefined) query = query.where('trigger_rules.source', '=', filter.source);
    if (filter.repository !== undefined)
      query = query.where(sql<string>`lower(trigger_rules.repository)`, '=', filter.repository.toLowerCase());
    if (filter.active !== undefined) query = query.where('trigger_rules.active', '=', filter.active ? 1 : 0);
    return pageOf(await query.execute(), page.limit, toRule);
  }

  /**
   * The active rules of a source for a repository, with their secrets, in creation order.
   * Repository names compare without regard to case, as GitHub and GitLab treat them.
   */
  async activeFor(source: string, repository: string): Promise<SigningTriggerRule[]> {
    const rows = await this.ruleQuery()
      .select('trigger_rules.secret')
      .where('trigger_rules.source', '=', source)
      .where(sql<string>`lower(trigger_rules.repository)`, '=', repository.toLowerCase())
      .where('trigger_rules.active', '=', 1)
      .orderBy('trigger_rules.id')
      .execute();
    return rows.map((row) => ({ ...toRule(row), secret: row.secret }));
  }

  /** Changes a rule. */
  async update(reference: string, changes: TriggerRuleChanges, actorId: string): Promise<TriggerRule> {
    const rule = await this.get(reference);
    await this.db.transaction().execute(async (trx) => {
      const componentId =
        changes.component === undefined ? undefined : await this.componentId(trx, changes.component);
      const environmentId =
        changes.environment === undefined ? undefined : await this.environmentId(trx, changes.environment);
      await trx
        .updateTable('trigger_rules')
        .set({
          ...(changes.repository !== undefined && { repository: changes.repository }),
          ...(changes.refPattern !== undefined && { ref_pattern: changes.refPattern }),
          ...(componentId !== undefined && { component_id: componentId }),
          ...(changes.model !== undefined && { model: changes.model }),
          ...(environmentId !== undefined && { environment_id: environmentId }),
          ...(changes.secret !== undefined && { secret: changes.secret }),
          ...(changes.versionTemplate !== undefined && { version_template: changes.versionTemplate }),
          ...(changes.active !== undefined && { active: changes.active ? 1 : 0 }),
          updated_at: this.now().toISOString(),
        })
        .where('id', '=', rule.id)
        .execute();
      const { secret, ...shown } = changes;
      await this.audit.record(trx, {
        actorId,
        action: 'trigger-rule.changed',
        subjectType: 'trigger-rule',
        subjectId: rule.id,
        details: { ...shown, ...(secret !== undefined && { secretChanged: true }) },
      });
    });
    return this.get(rule.id);
  }

  /** Deletes a rule; deliveries it processed keep their record. */
  async delete(reference: string, actorId: string): Promise<void> {
    const rule = await this.get(reference);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('trigger_rules').where('id', '=', rule.id).execute();
      await this.audit.record(trx, {
        actorId,
        action: 'trigger-rule.deleted',
        subjectType: 'trigger-rule',
        subjectId: rule.id,
        details: { name: rule.name },
      });
    });
  }
}
