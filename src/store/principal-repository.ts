import type { Kysely } from 'kysely';
import type { ApiToken, Principal, PrincipalKind, Role } from '../domain/index.js';
import { NotFoundError } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { ApiTokenRow, Database, PrincipalRow } from './schema.js';
import { fromJson, insertUnique, isId, newId } from './support.js';

/** A principal to create. */
export interface NewPrincipal {
  name: string;
  kind: PrincipalKind;
  email?: string;
  roles: Role[];
}

/** A token to store; only its hash is ever kept. */
export interface NewToken {
  principalId: string;
  name: string;
  tokenHash: string;
  prefix: string;
  expiresAt?: string;
}

/** The principal a presented token belongs to, with the token's own state. */
export interface TokenOwner {
  principal: Principal;
  tokenId: string;
  expiresAt?: string;
  revokedAt?: string;
}

function toPrincipal(row: PrincipalRow): Principal {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as PrincipalKind,
    ...(row.email !== null && { email: row.email }),
    roles: fromJson<Role[]>(row.roles),
    createdAt: row.created_at,
    ...(row.disabled_at !== null && { disabledAt: row.disabled_at }),
  };
}

function toToken(row: ApiTokenRow & { principal_name: string }): ApiToken {
  return {
    id: row.id,
    principalId: row.principal_id,
    principal: row.principal_name,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    ...(row.expires_at !== null && { expiresAt: row.expires_at }),
    ...(row.revoked_at !== null && { revokedAt: row.revoked_at }),
    ...(row.last_used_at !== null && { lastUsedAt: row.last_used_at }),
  };
}

/** People and systems, and the API tokens that stand for them. */
export class PrincipalRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  /** Creates a principal; names are unique. */
  async create(input: NewPrincipal, actorId: string | undefined): Promise<Principal> {
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await insertUnique(
        () =>
          trx
            .insertInto('principals')
            .values({
              id,
              name: input.name,
              kind: input.kind,
              email: input.email ?? null,
              roles: JSON.stringify(input.roles),
              created_at: at,
              created_by: actorId ?? null,
              disabled_at: null,
            })
            .execute(),
        `A principal named "${input.name}" already exists.`,
      );
      await this.audit.record(trx, {
        actorId,
        action: 'principal.created',
        subjectType: 'principal',
        subjectId: id,
        details: { name: input.name, roles: input.roles },
      });
    });
    return this.get(id);
  }

  /** Finds a principal by id or name. */
  async find(reference: string): Promise<Principal | undefined> {
    const row = await this.db
      .selectFrom('principals')
      .selectAll()
      .where(isId(reference) ? 'id' : 'name', '=', reference)
      .executeTakeFirst();
    return row === undefined ? undefined : toPrincipal(row);
  }

  /** Gets a principal by id or name, or fails with not found. */
  async get(reference: string): Promise<Principal> {
    const principal = await this.find(reference);
    if (principal === undefined) throw new NotFoundError('principal', reference);
    return principal;
  }

  /** Every principal, by name. */
  async list(): Promise<Principal[]> {
    const rows = await this.db.selectFrom('principals').selectAll().orderBy('name').execute();
    return rows.map(toPrincipal);
  }

  /** Whether any principal holds the role. */
  async anyWithRole(role: Role): Promise<boolean> {
    const rows = await this.db.selectFrom('principals').select('roles').execute();
    return rows.some((row) => fromJson<Role[]>(row.roles).includes(role));
  }

  /** Stores a token hash for a principal. */
  async createToken(input: NewToken, actorId: string | undefined): Promise<ApiToken> {
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('api_tokens')
        .values({
          id,
          principal_id: input.principalId,
          name: input.name,
          token_hash: input.tokenHash,
          prefix: input.prefix,
          created_at: this.now().toISOString(),
          created_by: actorId ?? null,
          expires_at: input.expiresAt ?? null,
          revoked_at: null,
          last_used_at: null,
        })
        .execute();
      await this.audit.record(trx, {
        actorId,
        action: 'token.created',
        subjectType: 'principal',
        subjectId: input.principalId,
        details: { tokenId: id, name: input.name, prefix: input.prefix },
      });
    });
    return this.getToken(id);
  }

  /** Whether a token with this hash is stored. */
  async hasTokenHash(tokenHash: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('api_tokens')
      .select('id')
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The owner of a token hash, if the hash is known. */
  async findTokenOwner(tokenHash: string): Promise<TokenOwner | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('principals', 'principals.id', 'api_tokens.principal_id')
      .selectAll('principals')
      .select(['api_tokens.id as token_id', 'api_tokens.expires_at', 'api_tokens.revoked_at'])
      .where('api_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      principal: toPrincipal(row),
      tokenId: row.token_id,
      ...(row.expires_at !== null && { expiresAt: row.expires_at }),
      ...(row.revoked_at !== null && { revokedAt: row.revoked_at }),
    };
  }

  /** Records when a token was last used. */
  async touchToken(tokenId: string): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: this.now().toISOString() })
      .where('id', '=', tokenId)
      .execute();
  }

  /** Gets one token's metadata. */
  async getToken(tokenId: string): Promise<ApiToken> {
    if (!isId(tokenId)) throw new NotFoundError('token', tokenId);
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('principals', 'principals.id', 'api_tokens.principal_id')
      .selectAll('api_tokens')
      .select('principals.name as principal_name')
      .where('api_tokens.id', '=', tokenId)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('token', tokenId);
    return toToken(row);
  }

  /** Lists token metadata, newest first, optionally for one principal. */
  async listTokens(principalId?: string): Promise<ApiToken[]> {
    let query = this.db
      .selectFrom('api_tokens')
      .innerJoin('principals', 'principals.id', 'api_tokens.principal_id')
      .selectAll('api_tokens')
      .select('principals.name as principal_name')
      .orderBy('api_tokens.id', 'desc');
    if (principalId !== undefined) query = query.where('api_tokens.principal_id', '=', principalId);
    return (await query.execute()).map(toToken);
  }

  /** Revokes a token; revoking twice keeps the first revocation time. */
  async revokeToken(tokenId: string, actorId: string): Promise<ApiToken> {
    const token = await this.getToken(tokenId);
    if (token.revokedAt !== undefined) return token;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('api_tokens')
        .set({ revoked_at: this.now().toISOString() })
        .where('id', '=', tokenId)
        .execute();
      await this.audit.record(trx, {
        actorId,
        action: 'token.revoked',
        subjectType: 'principal',
        subjectId: token.principalId,
        details: { tokenId, name: token.name },
      });
    });
    return this.getToken(tokenId);
  }
}
