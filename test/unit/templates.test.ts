import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTemplatesDir, parseTemplates, readTemplates, TEMPLATE_NAMES, templatesDir, type TemplateName } from '../../src/environment/templates.js';

const has = (...files: string[]) => (file: string): boolean => files.includes(file);

describe('findTemplatesDir', () => {
  it.each([
    { name: 'from src/environment (tests, vitest)', starts: ['/repo/src/environment'], files: ['/repo/templates/namespace.yaml'], dir: '/repo/templates' },
    { name: 'from dist/ (the ncc bundle): templates/ is a sibling', starts: ['/runner/_actions/acme/kube-ephemeral/v1/dist'], files: ['/runner/_actions/acme/kube-ephemeral/v1/templates/namespace.yaml'], dir: '/runner/_actions/acme/kube-ephemeral/v1/templates' },
    { name: 'the next start when the first finds nothing', starts: ['/nowhere/a', '/action/dist'], files: ['/action/templates/namespace.yaml'], dir: '/action/templates' },
  ])('$name', ({ starts, files, dir }) => {
    expect(findTemplatesDir(starts, has(...files.map((f) => path.normalize(f))))).toBe(path.normalize(dir));
  });

  it('KUBE_EPHEMERAL_TEMPLATES wins, and must hold the templates', () => {
    expect(findTemplatesDir(['/repo/src'], has('/repo/templates/namespace.yaml', '/custom/namespace.yaml'), '/custom')).toBe('/custom');
    expect(() => findTemplatesDir(['/repo/src'], has('/repo/templates/namespace.yaml'), '/custom')).toThrow(/KUBE_EPHEMERAL_TEMPLATES=\/custom: that directory has no namespace.yaml/);
  });

  it('says where it looked when there is none', () => {
    expect(() => findTemplatesDir(['/a/b'], has())).toThrow(/cannot find the templates\/ directory .*\/a\/b/);
  });

  it('finds the real templates of this repository', () => {
    expect(templatesDir({})).toBe(path.resolve(import.meta.dirname, '../../templates'));
  });
});

describe('parseTemplates', () => {
  const texts = (over: Partial<Record<TemplateName, string>>): Record<TemplateName, string> => ({
    ...(Object.fromEntries(TEMPLATE_NAMES.map((n) => [n, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'])) as Record<TemplateName, string>),
    ...over,
  });

  it('reads several documents a file, skipping empty ones', () => {
    const t = parseTemplates(texts({ app: '---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n# nothing\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n' }));
    expect(t.app.map((o) => o.kind)).toEqual(['A', 'B']);
  });

  it('names the file of a document that is not a Kubernetes object', () => {
    expect(() => parseTemplates(texts({ redis: 'apiVersion: v1\nkind: Secret\n' }))).toThrow(/templates\/redis.yaml: document 1 is not a Kubernetes object/);
  });

  it('every real template parses, and the ones that hold workloads have them', () => {
    const t = readTemplates();
    for (const db of ['postgresql', 'mysql', 'mongodb', 'redis'] as const) expect(t[db].map((o) => o.kind)).toEqual(['Secret', 'StatefulSet', 'Service']);
    expect(t.app.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    expect(t['test-job'].map((o) => o.kind)).toEqual(['Job']);
  });
});
