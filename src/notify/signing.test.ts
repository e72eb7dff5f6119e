import { describe, expect, it } from 'vitest';
import { bodyDigest, constantTimeEqual, signBody, verifyBodySignature } from './signing.js';

describe('webhook signatures', () => {
  it('are HMAC-SHA256 of the raw body, as GitHub documents them', () => {
    // The example in GitHub's "Validating webhook deliveries" guide.
    expect(signBody("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('verify the body they were made for, with the secret they were made with, only', () => {
    const body = '{"id":"1","type":"deployment.succeeded"}';
    const signature = signBody('s3cret', body);
    expect(verifyBodySignature('s3cret', body, signature)).toBe(true);
    expect(
      verifyBodySignature('s3cret', Buffer.from(body), signature.toUpperCase().replace('SHA256', 'sha256')),
    ).toBe(true);
    expect(verifyBodySignature('s3cret', `${body} `, signature)).toBe(false);
    expect(verifyBodySignature('other', body, signature)).toBe(false);
    expect(verifyBodySignature('s3cret', body, signature.slice(0, -1))).toBe(false);
    expect(verifyBodySignature('s3cret', body, undefined)).toBe(false);
    expect(verifyBodySignature('', body, signBody('', body))).toBe(false);
  });

  it('compare strings of any lengths', () => {
    expect(constantTimeEqual('token', 'token')).toBe(true);
    expect(constantTimeEqual('token', 'token-longer')).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
  });

  it('digest bodies as sha256:<hex>', () => {
    expect(bodyDigest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
