import { describe, expect, it } from 'vitest';
import {
  findPlaceholders,
  isKnownPlaceholder,
  renderTemplate,
  templateContextFromVariables,
  templateVariables,
  unknownPlaceholders,
} from './template.js';

const context = {
  version: '1.4.2',
  component: 'shop-web',
  service: 'shop',
  environment: 'staging',
  tier: 'staging',
  stage: 'staging',
  model: 'web-service',
  deployment: { id: 'dep-1' },
  target: {
    name: 'web-1',
    kind: 'host',
    labels: { rack: 'A3' },
    facts: { hostname: 'web-1.example', cpus: 4, virtual: false },
  },
};

describe('renderTemplate', () => {
  it('fills every known placeholder, with or without spaces inside the braces', () => {
    const rendered = renderTemplate(
      '{{ component }}@{{version}} to {{ environment }}/{{ target.name }} ({{ target.kind }}) ' +
        '{{ target.facts.hostname }} {{ target.facts.cpus }} {{ target.facts.virtual }} {{ target.labels.rack }} ' +
        '{{ service }} {{ tier }} {{ stage }} {{ model }} {{ deployment.id }}',
      context,
    );
    expect(rendered).toEqual({
      text: 'shop-web@1.4.2 to staging/web-1 (host) web-1.example 4 false A3 shop staging staging web-service dep-1',
      unknown: [],
      unbound: [],
    });
  });

  it('reports unknown placeholders and leaves them as written', () => {
    const rendered = renderTemplate('deploy {{ verison }} and {{ verison }} of {{ component }}', context);
    expect(rendered.text).toBe('deploy {{ verison }} and {{ verison }} of shop-web');
    expect(rendered.unknown).toEqual(['verison']);
  });

  it('reports known placeholders the context cannot fill, such as facts a target lacks', () => {
    const rendered = renderTemplate('{{ target.facts.disk }} on {{ target.name }}', { version: '1' });
    expect(rendered.text).toBe('{{ target.facts.disk }} on {{ target.name }}');
    expect(rendered.unbound).toEqual(['target.facts.disk', 'target.name']);
    expect(rendered.unknown).toEqual([]);
  });

  it('leaves templates of other tools alone and writes \\{{ as a literal {{', () => {
    const rendered = renderTemplate(
      "docker ps --format '{{.Names}}' && helm {{ .Values.x }} && echo \\{{ version }}",
      context,
    );
    expect(rendered.text).toBe(
      "docker ps --format '{{.Names}}' && helm {{ .Values.x }} && echo {{ version }}",
    );
    expect(rendered.unknown).toEqual([]);
  });
});

describe('placeholders', () => {
  it('finds placeholders with their offsets', () => {
    expect(findPlaceholders('a {{ version }} b {{x}}')).toEqual([
      { name: 'version', text: '{{ version }}', offset: 2 },
      { name: 'x', text: '{{x}}', offset: 18 },
    ]);
  });

  it('knows the simple names and the target label and fact prefixes', () => {
    expect(isKnownPlaceholder('version')).toBe(true);
    expect(isKnownPlaceholder('target.facts.hostname')).toBe(true);
    expect(isKnownPlaceholder('target.labels.rack')).toBe(true);
    expect(isKnownPlaceholder('target.facts.')).toBe(false);
    expect(isKnownPlaceholder('target.ip')).toBe(false);
    expect(unknownPlaceholders('{{ secrets.db }} {{ version }} {{ secrets.db }}')).toEqual(['secrets.db']);
  });
});

describe('template variables', () => {
  it('flattens a context into name → value pairs and back', () => {
    const variables = templateVariables(context);
    expect(variables).toEqual({
      version: '1.4.2',
      component: 'shop-web',
      service: 'shop',
      environment: 'staging',
      tier: 'staging',
      stage: 'staging',
      model: 'web-service',
      'deployment.id': 'dep-1',
      'target.name': 'web-1',
      'target.kind': 'host',
      'target.labels.rack': 'A3',
      'target.facts.hostname': 'web-1.example',
      'target.facts.cpus': '4',
      'target.facts.virtual': 'false',
    });
    const template = '{{ version }} {{ target.facts.cpus }} {{ target.labels.rack }} {{ deployment.id }}';
    expect(renderTemplate(template, templateContextFromVariables(variables)).text).toBe(
      renderTemplate(template, context).text,
    );
    expect(templateContextFromVariables({ version: '1' })).toEqual({ version: '1' });
  });
});
