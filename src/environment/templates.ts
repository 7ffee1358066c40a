import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../kube/types.js';

/** The YAML templates of an environment (`templates/<name>.yaml`), parsed, never string-filled. */

export const TEMPLATE_NAMES = [
  'namespace',
  'limitrange',
  'resourcequota',
  'networkpolicy',
  'app',
  'ingress',
  'postgresql',
  'mysql',
  'mongodb',
  'redis',
  'test-job',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Every template file as its list of objects (a file may hold several `---` documents). */
export type Templates = Readonly<Record<TemplateName, readonly KubeObject[]>>;

/** Points at a templates directory explicitly (tests, unusual layouts). */
export const TEMPLATES_ENV = 'KUBE_EPHEMERAL_TEMPLATES';

// Built from parts so that no bundler sees a literal asset path next to import.meta.url or
// __dirname and copies or rewrites it: the templates stay in templates/, beside dist/.
const DIR_NAME = ['templ', 'ates'].join('');
const MARKER = `${TEMPLATE_NAMES[0]}.yaml`;

/**
 * The first directory, walking up from each start, that holds `templates/namespace.yaml`; the
 * override wins when given. Pure: the file system is asked through `exists`.
 */
export function findTemplatesDir(
  starts: readonly string[],
  exists: (file: string) => boolean,
  override?: string,
): string {
  if (override) {
    if (exists(path.join(override, MARKER))) return override;
    throw new Error(`${TEMPLATES_ENV}=${override}: that directory has no ${MARKER}`);
  }
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const candidate = path.join(dir, DIR_NAME);
      if (exists(path.join(candidate, MARKER))) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`cannot find the ${DIR_NAME}/ directory of kube-ephemeral (looked upwards from ${starts.join(', ')})`);
}

/** Parses the text of every template. Pure. */
export function parseTemplates(texts: Readonly<Record<TemplateName, string>>): Templates {
  const out = {} as Record<TemplateName, readonly KubeObject[]>;
  for (const name of TEMPLATE_NAMES) {
    const docs = loadAll(texts[name]).filter((d) => d !== null && d !== undefined);
    out[name] = docs.map((doc, i) => {
      if (!isKubeObject(doc)) throw new Error(`${DIR_NAME}/${name}.yaml: document ${i + 1} is not a Kubernetes object (apiVersion, kind, metadata.name)`);
      return doc;
    });
  }
  return out;
}

function isKubeObject(v: unknown): v is KubeObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const meta = o['metadata'];
  return (
    typeof o['apiVersion'] === 'string' &&
    typeof o['kind'] === 'string' &&
    typeof meta === 'object' &&
    meta !== null &&
    typeof (meta as Record<string, unknown>)['name'] === 'string'
  );
}

/** A fresh copy of the object of `kind` in template `name`, to fill. Pure. */
export function templateObject(templates: Templates, name: TemplateName, kind: string, index = 0): KubeObject {
  const found = templates[name].filter((o) => o.kind === kind)[index];
  if (!found) throw new Error(`${DIR_NAME}/${name}.yaml has no ${kind}${index ? ` #${index + 1}` : ''}`);
  return structuredClone(found);
}

/** Where the templates are: $KUBE_EPHEMERAL_TEMPLATES, else up from this module or the entry script. */
export function templatesDir(env: NodeJS.ProcessEnv = process.env): string {
  const starts = [path.dirname(fileURLToPath(import.meta.url))];
  if (process.argv[1]) starts.push(path.dirname(path.resolve(process.argv[1])));
  return findTemplatesDir(starts, existsSync, env[TEMPLATES_ENV] || undefined);
}

/** Reads and parses every template (thin I/O around parseTemplates). */
export function readTemplates(dir: string = templatesDir()): Templates {
  const texts = {} as Record<TemplateName, string>;
  for (const name of TEMPLATE_NAMES) texts[name] = readFileSync(path.join(dir, `${name}.yaml`), 'utf8');
  return parseTemplates(texts);
}
