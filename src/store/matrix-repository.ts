import type { Kysely } from 'kysely';
import type { DeploymentState, MatrixCell } from '../domain/index.js';
import type { Database } from './schema.js';

/** Filters of the matrix. */
export interface MatrixFilter {
  serviceId?: string;
  environmentId?: string;
  componentId?: string;
}

/**
 * What is where: per component and environment, the version last deployed successfully (or
 * removed), and any deployment in flight. Reads the pre-aggregated table only.
 */
export class MatrixRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The cells of the matrix that hold anything. */
  async cells(filter: MatrixFilter = {}): Promise<MatrixCell[]> {
    let query = this.db
      .selectFrom('deployment_matrix')
      .innerJoin('components', 'components.id', 'deployment_matrix.component_id')
      .innerJoin('services', 'services.id', 'components.service_id')
      .innerJoin('environments', 'environments.id', 'deployment_matrix.environment_id')
      .leftJoin('versions as current', 'current.id', 'deployment_matrix.version_id')
      .leftJoin('versions as flying', 'flying.id', 'deployment_matrix.in_flight_version_id')
      .leftJoin('deployments as flight', 'flight.id', 'deployment_matrix.in_flight_deployment_id')
      .select([
        'deployment_matrix.component_id',
        'components.name as component_name',
        'services.name as service_name',
        'deployment_matrix.environment_id',
        'environments.name as environment_name',
        'current.version as version',
        'deployment_matrix.outcome',
        'deployment_matrix.at',
        'deployment_matrix.deployment_id',
        'deployment_matrix.in_flight_deployment_id',
        'flying.version as in_flight_version',
        'flight.state as in_flight_state',
      ])
      .orderBy('components.name')
      .orderBy('environments.position');
    // A deployment that ended without success leaves a row with nothing in it; it is not shown.
    query = query.where((eb) =>
      eb.or([
        eb('deployment_matrix.outcome', 'is not', null),
        eb('deployment_matrix.in_flight_deployment_id', 'is not', null),
      ]),
    );
    if (filter.serviceId !== undefined) query = query.where('components.service_id', '=', filter.serviceId);
    if (filter.environmentId !== undefined)
      query = query.where('deployment_matrix.environment_id', '=', filter.environmentId);
    if (filter.componentId !== undefined)
      query = query.where('deployment_matrix.component_id', '=', filter.componentId);
    const rows = await query.execute();
    return rows.map((row) => ({
      componentId: row.component_id,
      component: row.component_name,
      service: row.service_name,
      environmentId: row.environment_id,
      environment: row.environment_name,
      ...(row.version !== null && { version: row.version }),
      ...(row.outcome !== null && { outcome: row.outcome }),
      ...(row.at !== null && { at: row.at }),
      ...(row.deployment_id !== null && { deploymentId: row.deployment_id }),
      ...(row.in_flight_deployment_id !== null &&
        row.in_flight_state !== null && {
          inFlight: {
            deploymentId: row.in_flight_deployment_id,
            ...(row.in_flight_version !== null && { version: row.in_flight_version }),
            state: row.in_flight_state as DeploymentState,
          },
        }),
    }));
  }

  /** The version currently deployed of a component in an environment, if any. */
  async current(componentId: string, environmentId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('deployment_matrix')
      .select('version_id')
      .where('component_id', '=', componentId)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return row?.version_id ?? undefined;
  }
}
