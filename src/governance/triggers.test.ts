import { describe, expect, it } from 'vitest';
import {
  checkRefPattern,
  checkVersionTemplate,
  commitDigest,
  refMatches,
  renderVersion,
} from './triggers.js';

const sha = '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c';
const base = { source: 'github', repository: 'acme/shop-web', commitSha: sha, pusher: 'octocat' };

describe('trigger rules', () => {
  it('match branch globs against branches only, and full-ref globs against the ref', () => {
    const main = { ref: 'refs/heads/main', branch: 'main' };
    const release = { ref: 'refs/heads/release/2.1', branch: 'release/2.1' };
    const tag = { ref: 'refs/tags/v1.2.0' };
    expect(refMatches('main', main)).toBe(true);
    expect(refMatches('main', tag)).toBe(false);
    expect(refMatches('release/*', release)).toBe(true);
    expect(refMatches('*', release)).toBe(false);
    expect(refMatches('**', release)).toBe(true);
    expect(refMatches('refs/tags/v*', tag)).toBe(true);
    expect(refMatches('refs/tags/v*', main)).toBe(false);
    expect(refMatches('ma.n', { ref: 'refs/heads/main', branch: 'main' })).toBe(false);
    expect(checkRefPattern('refs/tags/v*')).toEqual([]);
    expect(checkRefPattern('release//x')).toHaveLength(1);
    expect(checkRefPattern('v1.?')).toHaveLength(1);
  });

  it('make version strings from tags, branches and commits', () => {
    const tag = { ...base, ref: 'refs/tags/v1.2.0', tag: 'v1.2.0' };
    const branch = { ...base, ref: 'refs/heads/release/2', branch: 'release/2' };
    expect(renderVersion('{tagVersion}', tag)).toBe('1.2.0');
    expect(renderVersion('{tag}', tag)).toBe('v1.2.0');
    expect(renderVersion('{branch}-{shortSha}', branch)).toBe('release-2-0d1a26e');
    expect(renderVersion('rev-{sha}', branch)).toBe(`rev-${sha}`);
    expect(() => renderVersion('{tag}', branch)).toThrow(/needs \{tag\}/);
    expect(checkVersionTemplate('{tagVersion}')).toEqual([]);
    expect(checkVersionTemplate('main')).toHaveLength(1);
    expect(checkVersionTemplate('{commit}')[0]?.message).toContain('not a placeholder');
    expect(checkVersionTemplate('a b-{sha}')).toHaveLength(1);
  });

  it('digest a commit id as sha256 of its text', () => {
    expect(commitDigest(sha)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(commitDigest(sha)).not.toBe(commitDigest(sha.replace('0', '1')));
  });
});
