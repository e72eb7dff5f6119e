/*
 * Writes the deployment model's JSON Schema to docs/deployment-model.schema.json, where
 * editors find it (examples point at it with a yaml-language-server comment). Run it after
 * changing the model schema: `npx tsx scripts/write-model-schema.ts`. A test fails while the
 * committed file differs from what this script would write.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { modelJsonSchema } from '../src/domain/index.js';

const target = fileURLToPath(new URL('../docs/deployment-model.schema.json', import.meta.url));
const biome = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));

writeFileSync(target, `${JSON.stringify(modelJsonSchema(), null, 2)}\n`);
// Format as the repository's formatter would, so `npm run lint` stays quiet after a rewrite.
execFileSync(biome, ['format', '--write', target], { stdio: 'ignore' });
process.stdout.write(`wrote ${target}\n`);
