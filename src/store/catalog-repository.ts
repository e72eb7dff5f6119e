import type { Kysely } from 'kysely';
import {
  type Component,
  type ComponentKind,
  ConflictError,
  decideVersionRegistration,
  type ManifestPart,
  NotFoundError,
  type Release,
  type Service,
  type Version,
} from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { ComponentRow, Database, ServiceRow, VersionRow } from './schema.js';
import {
  containsText,
  decodeCursor,
  fromJson,
  insertUnique,
  isId,
  isUniqueViolation,
  newId,
  type Page,
  type PageRequest,
  pageOf,
} from './support.js';

/** A service to create. */
export interface NewService {
  name: string;
  description?: string;
  owner?: string;
}

/** A component to create inside a service. */
export interface NewComponent {
  service: string;
  name: string;
  kind: ComponentKind;
  description?: string;
  labels?: Record<string, string>;
}

/** A version to register. */
export interface NewVersion {
  version: string;
  digest: string;
  size: number;
  sourceUri?: string;
  manifest?: ManifestPart[];
  changelog?: string;
  commitSha?: string;
  committedAt?: string;
}

/** A release to create: one version per component. */
export interface NewRelease {
  name: string;
  description?: string;
  notes?: string;
  versions: { component: string; version: string }[];
}

function toService(row: ServiceRow): Service {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ...(row.owner !== null && { owner: row.owner }),
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

function toComponent(row: ComponentRow & { service_name: string }): Component {
  return {
    id: row.id,
    serviceId: row.service_id,
    service: row.service_name,
    name: row.name,
    kind: row.kind as ComponentKind,
    description: row.description,
    labels: fromJson<Record<string, string>>(row.labels),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

function toVersion(row: VersionRow & { component_name: string }): Version {
  return {
    id: row.id,
    componentId: row.component_id,
    component: row.component_name,
    version: row.version,
    digest: row.digest,
    size: Number(row.size),
    ...(row.source_uri !== null && { sourceUri: row.source_uri }),
    ...(row.manifest !== null && { manifest: fromJson<ManifestPart[]>(row.manifest) }),
    ...(row.changelog !== null && { changelog: row.changelog }),
    ...(row.commit_sha !== null && { commitSha: row.commit_sha }),
    ...(row.committed_at !== null && { committedAt: row.committed_at }),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

/** Filters of the component list. */
export interface ComponentFilter {
  service?: string;
  kind?: ComponentKind;
  search?: string;
}

/**
 * The authorized repository (definitive media library): services, components, their
 * immutable versions, and releases.
 */
export class CatalogRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  /** Creates a service. */
  async createService(input: NewService, actorId: string): Promise<Service> {
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await insertUnique(
        () =>
          trx
            .insertInto('services')
            .values({
              id,
              name: input.name,
              description: input.description ?? '',
              owner: input.owner ?? null,
              created_at: at,
              created_by: actorId,
              updated_at: at,
            })
            .execute(),
        `A service named "${input.name}" already exists.`,
      );
      await this.audit.record(trx, {
        actorId,
        action: 'service.created',
        subjectType: 'service',
        subjectId: id,
        details: { name: input.name },
      });
    });
    return this.getService(id);
  }

  /** Gets a service by id or name. */
  async getService(reference: string): Promise<Service> {
    const row = await this.db
      .selectFrom('services')
      .selectAll()
      .where(isId(reference) ? 'id' : 'name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('service', reference);
    return toService(row);
  }

  /** Lists services by creation. */
  async listServices(filter: { search?: string }, page: PageRequest): Promise<Page<Service>> {
    let query = this.db
      .selectFrom('services')
      .selectAll()
      .orderBy('id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('id', '>', after);
    if (filter.search !== undefined) query = query.where(containsText('name', filter.search));
    return pageOf(await query.execute(), page.limit, toService);
  }

  /** Creates a component in a service; component names are unique across the catalog. */
  async createComponent(input: NewComponent, actorId: string): Promise<Component> {
    const service = await this.getService(input.service);
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await insertUnique(
        () =>
          trx
            .insertInto('components')
            .values({
              id,
              service_id: service.id,
              name: input.name,
              kind: input.kind,
              description: input.description ?? '',
              labels: JSON.stringify(input.labels ?? {}),
              created_at: this.now().toISOString(),
              created_by: actorId,
            })
            .execute(),
        `A component named "${input.name}" already exists.`,
      );
      await this.audit.record(trx, {
        actorId,
        action: 'component.created',
        subjectType: 'component',
        subjectId: id,
        details: { name: input.name, kind: input.kind, service: service.name },
      });
    });
    return this.getComponent(id);
  }

  private componentQuery() {
    return this.db
      .selectFrom('components')
      .innerJoin('services', 'services.id', 'components.service_id')
      .selectAll('components')
      .select('services.name as service_name');
  }

  /** Gets a component by id or name. */
  async getComponent(reference: string): Promise<Component> {
    const row = await this.componentQuery()
      .where(isId(reference) ? 'components.id' : 'components.name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('component', reference);
    return toComponent(row);
  }

  /** Lists components by creation, filtered by service, kind or a name fragment. */
  async listComponents(filter: ComponentFilter, page: PageRequest): Promise<Page<Component>> {
    let query = this.componentQuery()
      .orderBy('components.id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('components.id', '>', after);
    if (filter.service !== undefined) {
      query = query.where(isId(filter.service) ? 'services.id' : 'services.name', '=', filter.service);
    }
    if (filter.kind !== undefined) query = query.where('components.kind', '=', filter.kind);
    if (filter.search !== undefined) query = query.where(containsText('components.name', filter.search));
    return pageOf(await query.execute(), page.limit, toComponent);
  }

  /**
   * Registers a version. The same version with the same digest is idempotent; with another
   * digest it is a conflict and nothing changes.
   */
  async registerVersion(
    componentReference: string,
    input: NewVersion,
    actorId: string,
  ): Promise<{ version: Version; created: boolean }> {
    const component = await this.getComponent(componentReference);
    const register = async (): Promise<{ id: string; created: boolean }> =>
      this.db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('versions')
          .select(['id', 'version', 'digest', 'size'])
          .where('component_id', '=', component.id)
          .where('version', '=', input.version)
          .executeTakeFirst();
        if (
          decideVersionRegistration(existing, input, component.name) === 'unchanged' &&
          existing !== undefined
        ) {
          return { id: existing.id, created: false };
        }
        const id = newId();
        await trx
          .insertInto('versions')
          .values({
            id,
            component_id: component.id,
            version: input.version,
            digest: input.digest,
            size: input.size,
            source_uri: input.sourceUri ?? null,
            manifest: input.manifest === undefined ? null : JSON.stringify(input.manifest),
            changelog: input.changelog ?? null,
            commit_sha: input.commitSha ?? null,
            committed_at: input.committedAt ?? null,
            created_at: this.now().toISOString(),
            created_by: actorId,
          })
          .execute();
        await this.audit.record(trx, {
          actorId,
          action: 'version.registered',
          subjectType: 'component',
          subjectId: component.id,
          details: { versionId: id, version: input.version, digest: input.digest },
        });
        return { id, created: true };
      });
    let outcome: { id: string; created: boolean };
    try {
      outcome = await register();
    } catch (error) {
      // Two registrations raced; the loser re-reads and decides against the winner.
      if (!(error instanceof ConflictError) && isUniqueViolation(error)) outcome = await register();
      else throw error;
    }
    return { version: await this.getVersionById(outcome.id), created: outcome.created };
  }

  private versionQuery() {
    return this.db
      .selectFrom('versions')
      .innerJoin('components', 'components.id', 'versions.component_id')
      .selectAll('versions')
      .select('components.name as component_name');
  }

  private async getVersionById(id: string): Promise<Version> {
    const row = await this.versionQuery().where('versions.id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('version', id);
    return toVersion(row);
  }

  /** Gets a version of a component by its version string or id. */
  async getVersion(componentReference: string, versionReference: string): Promise<Version> {
    const component = await this.getComponent(componentReference);
    const row = await this.versionQuery()
      .where('versions.component_id', '=', component.id)
      .where(isId(versionReference) ? 'versions.id' : 'versions.version', '=', versionReference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('version', `${component.name}@${versionReference}`);
    return toVersion(row);
  }

  /** Lists a component's versions, newest first. */
  async listVersions(componentReference: string, page: PageRequest): Promise<Page<Version>> {
    const component = await this.getComponent(componentReference);
    let query = this.versionQuery()
      .where('versions.component_id', '=', component.id)
      .orderBy('versions.id', 'desc')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('versions.id', '<', after);
    return pageOf(await query.execute(), page.limit, toVersion);
  }

  /** Creates a release from registered versions, one per component. */
  async createRelease(input: NewRelease, actorId: string): Promise<Release> {
    const members = await Promise.all(
      input.versions.map((entry) => this.getVersion(entry.component, entry.version)),
    );
    const components = new Set<string>();
    for (const member of members) {
      if (components.has(member.componentId)) {
        throw new ConflictError(
          `A release holds one version per component; ${member.component} appears twice.`,
          {
            component: member.component,
          },
        );
      }
      components.add(member.componentId);
    }
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await insertUnique(
        () =>
          trx
            .insertInto('releases')
            .values({
              id,
              name: input.name,
              description: input.description ?? '',
              notes: input.notes ?? '',
              created_at: this.now().toISOString(),
              created_by: actorId,
            })
            .execute(),
        `A release named "${input.name}" already exists.`,
      );
      if (members.length > 0) {
        await trx
          .insertInto('release_versions')
          .values(
            members.map((member) => ({
              release_id: id,
              component_id: member.componentId,
              version_id: member.id,
            })),
          )
          .execute();
      }
      await this.audit.record(trx, {
        actorId,
        action: 'release.created',
        subjectType: 'release',
        subjectId: id,
        details: {
          name: input.name,
          versions: members.map((member) => `${member.component}@${member.version}`),
        },
      });
    });
    return this.getRelease(id);
  }

  /** Gets a release by id or name, with its versions. */
  async getRelease(reference: string): Promise<Release> {
    const row = await this.db
      .selectFrom('releases')
      .selectAll()
      .where(isId(reference) ? 'id' : 'name', '=', reference)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('release', reference);
    const [release] = await this.withVersions([row]);
    if (release === undefined) throw new NotFoundError('release', reference);
    return release;
  }

  /** Lists releases by creation. */
  async listReleases(page: PageRequest): Promise<Page<Release>> {
    let query = this.db
      .selectFrom('releases')
      .selectAll()
      .orderBy('id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.execute();
    const paged = pageOf(rows, page.limit, (row) => row);
    return { ...paged, items: await this.withVersions(paged.items) };
  }

  private async withVersions(rows: Database['releases'][]): Promise<Release[]> {
    if (rows.length === 0) return [];
    const members = await this.db
      .selectFrom('release_versions')
      .innerJoin('versions', 'versions.id', 'release_versions.version_id')
      .innerJoin('components', 'components.id', 'release_versions.component_id')
      .select([
        'release_versions.release_id',
        'components.id as component_id',
        'components.name as component_name',
        'versions.id as version_id',
        'versions.version',
        'versions.digest',
      ])
      .where(
        'release_versions.release_id',
        'in',
        rows.map((row) => row.id),
      )
      .orderBy('components.name')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      description: row.description,
      notes: row.notes,
      versions: members
        .filter((member) => member.release_id === row.id)
        .map((member) => ({
          componentId: member.component_id,
          component: member.component_name,
          versionId: member.version_id,
          version: member.version,
          digest: member.digest,
        })),
      createdAt: row.created_at,
      createdBy: row.created_by,
    }));
  }
}
