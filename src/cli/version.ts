import { readFileSync } from 'node:fs';

function readVersion(): string {
  // dist/src/cli/version.js and src/cli/version.ts both sit below the package root.
  for (const candidate of ['../../../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === 'slipway' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // Try the next location.
    }
  }
  return '0.0.0';
}

/** The version of this Slipway build. */
export const slipwayVersion = readVersion();
