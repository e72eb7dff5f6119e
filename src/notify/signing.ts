import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** HTTP headers of an outbound webhook request. */
export const WebhookHeader = {
  /** `sha256=<hex>`: HMAC-SHA256 of the raw body with the subscription's secret. */
  signature: 'X-Slipway-Signature',
  /** When this attempt was sent (ISO-8601 UTC). */
  timestamp: 'X-Slipway-Timestamp',
  /** The delivery's id: the same on every retry of a delivery, new for a redelivery. */
  delivery: 'X-Slipway-Delivery',
  /** The Slipway event type (`deployment.succeeded`, …). */
  event: 'X-Slipway-Event',
  /** The number of this attempt, from 1. */
  attempt: 'X-Slipway-Attempt',
} as const;

/** The lowercase hex HMAC-SHA256 of a body. */
export function hmacSha256Hex(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The value of the signature header for a body: `sha256=<hex>`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${hmacSha256Hex(secret, body)}`;
}

/**
 * Compares two strings in time that depends on neither their content nor their lengths:
 * both are hashed first, so the comparison always runs over 32 bytes.
 */
export function constantTimeEqual(left: string, right: string): boolean {
  const leftDigest = createHash('sha256').update(left, 'utf8').digest();
  const rightDigest = createHash('sha256').update(right, 'utf8').digest();
  return timingSafeEqual(leftDigest, rightDigest);
}

/**
 * Whether a `sha256=<hex>` header is the signature of a body with a secret: what a receiver
 * of Slipway's webhooks checks, and what GitHub's `X-Hub-Signature-256` uses too.
 */
export function verifyBodySignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
): boolean {
  if (header === undefined || secret.length === 0) return false;
  return constantTimeEqual(header.trim().toLowerCase(), signBody(secret, body));
}

/** The SHA-256 of a body, written as sha256:<hex>. */
export function bodyDigest(body: string | Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
