import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { modelFingerprint } from './fingerprint.js';
import { parseModel } from './parse.js';

const text = `# a comment
apiVersion: slipway/v1
kind: DeploymentModel
name: print
appliesTo: { componentKinds: [software] }
stages:
  - name: test
    environment: test
    steps:
      - { name: a, type: wait, duration: 1m }
`;

describe('modelFingerprint', () => {
  it('is the SHA-256 of the canonical JSON of the parsed model', () => {
    const canonical =
      '{"apiVersion":"slipway/v1","appliesTo":{"componentKinds":["software"]},"kind":"DeploymentModel",' +
      '"name":"print","stages":[{"environment":"test","name":"test","steps":[{"duration":"1m","name":"a","type":"wait"}]}]}';
    expect(modelFingerprint(parseModel(text))).toBe(
      `sha256:${createHash('sha256').update(canonical).digest('hex')}`,
    );
  });

  it('ignores comments, key order, quoting and layout', () => {
    const rewritten = `kind: "DeploymentModel"
apiVersion: 'slipway/v1'
name: print
stages: [{ steps: [{ type: wait, duration: 1m, name: a }], environment: test, name: test }]
appliesTo:
  componentKinds:
    - software
`;
    expect(modelFingerprint(parseModel(rewritten))).toBe(modelFingerprint(parseModel(text)));
  });

  it('changes with any change of content, including order of stages and steps', () => {
    const original = modelFingerprint(parseModel(text));
    expect(modelFingerprint(parseModel(text.replace('duration: 1m', 'duration: 2m')))).not.toBe(original);
    expect(modelFingerprint(parseModel(text.replace('name: print', 'name: print\ndescription: x')))).not.toBe(
      original,
    );
  });
});
