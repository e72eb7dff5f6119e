import { describe, expect, it } from 'vitest';
import { compareVersions, isSemanticVersion, satisfiesMinimum } from './versions.js';

function expectAscending(versions: readonly string[]) {
  for (let index = 1; index < versions.length; index += 1) {
    const lower = versions[index - 1] as string;
    const higher = versions[index] as string;
    expect([lower, higher, compareVersions(lower, higher)]).toEqual([lower, higher, -1]);
    expect([higher, lower, compareVersions(higher, lower)]).toEqual([higher, lower, 1]);
  }
}

describe('version comparison', () => {
  it('orders semantic versions by SemVer precedence, pre-releases before their release', () => {
    expectAscending([
      '0.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.9.0',
      '1.10.0',
      '2.0.0',
    ]);
  });

  it('ignores a leading v and build metadata, and reads missing numbers as zero', () => {
    expect(compareVersions('v1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('1.2.3+build.7', '1.2.3+build.9')).toBe(0);
    expect(compareVersions('1.2', '1.2.0')).toBe(0);
    expect(compareVersions('v3', '3.0.0')).toBe(0);
    expect(compareVersions('1.2', '1.10')).toBe(-1);
    expect(isSemanticVersion('2.0.0-rc.1+sha.5114f85')).toBe(true);
    expect(isSemanticVersion('build-10')).toBe(false);
  });

  it('compares dotted numbers of four or more parts number by number', () => {
    expectAscending(['10.0.19041.1', '10.0.19041.2', '10.0.19041.10', '10.0.22000.1']);
    expect(compareVersions('1.2.3.0', '1.2.3')).toBe(0);
    expect(compareVersions('2024.10.1.7', '2024.9.30.1')).toBe(1);
  });

  it('compares other strings naturally: numbers as numbers, words by letters, numbers before words', () => {
    expectAscending(['build-9', 'build-10', 'build-100']);
    expectAscending(['r2023a', 'r2023b', 'r2024a']);
    expectAscending(['2024-01-15', '2024-02-01', '2024-11-30']);
    expectAscending(['release_1', 'release_1_hotfix']);
    expect(compareVersions('Build-9', 'build-10')).toBe(-1);
  });

  it('compares numbers larger than JavaScript integers exactly', () => {
    expect(compareVersions('1.0.99999999999999999999', '1.0.99999999999999999998')).toBe(1);
    expect(compareVersions('build-0099', 'build-100')).toBe(-1);
  });

  it('answers whether a version meets a minimum', () => {
    expect(satisfiesMinimum('2.1.0', '2.0.0')).toBe(true);
    expect(satisfiesMinimum('2.0.0', '2.0.0')).toBe(true);
    expect(satisfiesMinimum('2.0.0-rc.2', '2.0.0')).toBe(false);
    expect(satisfiesMinimum('1.9.9', '2.0')).toBe(false);
  });
});
