import { createHash, randomBytes } from 'node:crypto';
import type { ApiToken, Principal, PrincipalKind, Role } from '../domain/index.js';
import { InputError, UnauthenticatedError } from '../domain/index.js';
import type { Store } from '../store/index.js';

const tokenPrefix = 'slw_';

/** Hashes a presented token; only hashes are stored, so a leaked database leaks no tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token shown once at creation, with its stored metadata. */
export interface IssuedToken {
  token: string;
  metadata: ApiToken;
}

/** Who is calling, as established from a token. */
export interface Caller {
  principal: Principal;
  tokenId: string;
}

/** Options of token issue. */
export interface TokenRequest {
  name: string;
  /** Lifetime in days; without it the token does not expire. */
  expiresInDays?: number;
}

interface CachedCaller {
  /** The lookup, shared by every request that arrives while it runs. */
  caller: Promise<Caller | undefined>;
  until: number;
}

const touchIntervalMilliseconds = 60_000;

/**
 * Principals and API tokens: issuing, authenticating and revoking. Authentication results
 * are cached for a few seconds so that hot read paths do not query the store per request;
 * requests arriving while a lookup runs share it, and a token's last use is written at most
 * once a minute. Revocation through this object clears the cache at once.
 */
export class AccessControl {
  private readonly cache = new Map<string, CachedCaller>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly cacheMilliseconds = 5_000,
  ) {}

  /** Establishes the caller behind a bearer token, or fails with 401. */
  async authenticate(token: string | undefined): Promise<Caller> {
    if (token === undefined || token.length === 0 || token.length > 200) throw new UnauthenticatedError();
    const hash = hashToken(token);
    const nowMs = this.store.now().getTime();
    let cached = this.cache.get(hash);
    if (cached === undefined || cached.until <= nowMs) {
      if (this.cache.size > 10_000) this.cache.clear();
      cached = { caller: this.lookup(hash, nowMs), until: nowMs + this.cacheMilliseconds };
      this.cache.set(hash, cached);
    }
    let caller: Caller | undefined;
    try {
      caller = await cached.caller;
    } catch (error) {
      this.cache.delete(hash);
      throw error;
    }
    if (caller === undefined) throw new UnauthenticatedError('The API token is unknown, revoked or expired.');
    return caller;
  }

  private async lookup(hash: string, nowMs: number): Promise<Caller | undefined> {
    const owner = await this.store.principals.findTokenOwner(hash);
    const valid =
      owner !== undefined &&
      owner.revokedAt === undefined &&
      owner.principal.disabledAt === undefined &&
      (owner.expiresAt === undefined || Date.parse(owner.expiresAt) > nowMs);
    if (!valid) return undefined;
    if ((this.touched.get(owner.tokenId) ?? 0) + touchIntervalMilliseconds <= nowMs) {
      this.touched.set(owner.tokenId, nowMs);
      await this.store.principals.touchToken(owner.tokenId);
    }
    return { principal: owner.principal, tokenId: owner.tokenId };
  }

  /** Creates a principal together with its first token. */
  async createPrincipal(
    input: { name: string; kind: PrincipalKind; email?: string; roles: Role[]; tokenName?: string },
    actorId: string | undefined,
  ): Promise<{ principal: Principal; issued: IssuedToken }> {
    if (input.roles.length === 0)
      throw new InputError('A principal needs at least one role.', [
        { path: '/roles', message: 'must not be empty' },
      ]);
    const principal = await this.store.principals.create(
      {
        name: input.name,
        kind: input.kind,
        roles: input.roles,
        ...(input.email !== undefined && { email: input.email }),
      },
      actorId,
    );
    const issued = await this.issueToken(principal.id, { name: input.tokenName ?? 'default' }, actorId);
    return { principal, issued };
  }

  /** Issues a new token for an existing principal. */
  async issueToken(
    principalReference: string,
    request: TokenRequest,
    actorId: string | undefined,
  ): Promise<IssuedToken> {
    const principal = await this.store.principals.get(principalReference);
    const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
    const expiresAt =
      request.expiresInDays === undefined
        ? undefined
        : new Date(this.store.now().getTime() + request.expiresInDays * 86_400_000).toISOString();
    const metadata = await this.store.principals.createToken(
      {
        principalId: principal.id,
        name: request.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, tokenPrefix.length + 6),
        ...(expiresAt !== undefined && { expiresAt }),
      },
      actorId,
    );
    return { token, metadata };
  }

  /** Revokes a token; it stops working immediately on this node. */
  async revokeToken(tokenId: string, actorId: string): Promise<ApiToken> {
    const revoked = await this.store.principals.revokeToken(tokenId, actorId);
    this.cache.clear();
    return revoked;
  }

  /**
   * Makes sure an administrator can sign in on first start. With `presetToken` (from
   * SLIPWAY_ADMIN_TOKEN) that token is registered for the admin; otherwise a token is
   * generated only when no admin exists yet. Returns a generated token so it can be shown once.
   */
  async ensureAdmin(presetToken: string | undefined): Promise<{ generatedToken?: string }> {
    let admin = await this.store.principals.find('admin');
    if (admin === undefined && !(await this.store.principals.anyWithRole('admin'))) {
      admin = await this.store.principals.create(
        { name: 'admin', kind: 'person', roles: ['admin'] },
        undefined,
      );
      if (presetToken === undefined) {
        const issued = await this.issueToken(admin.id, { name: 'first-start' }, undefined);
        return { generatedToken: issued.token };
      }
    }
    if (presetToken !== undefined && !(await this.store.principals.hasTokenHash(hashToken(presetToken)))) {
      const owner =
        admin ?? (await this.store.principals.list()).find((principal) => principal.roles.includes('admin'));
      if (owner !== undefined) {
        await this.store.principals.createToken(
          {
            principalId: owner.id,
            name: 'SLIPWAY_ADMIN_TOKEN',
            tokenHash: hashToken(presetToken),
            prefix: presetToken.slice(0, 10),
          },
          undefined,
        );
      }
    }
    return {};
  }
}
