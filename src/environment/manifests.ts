import { globSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { InputError } from '../errors.js';
import type { ImageSubstitution } from '../input-parsers.js';
import type { KubeObject, PodSpec } from '../kube/types.js';

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
const MAX_OBJECTS = 2000;
/** A parsed document may not grow past this when serialised (YAML alias bombs). */
const MAX_OBJECT_JSON = 4 * 1024 * 1024;

export interface ManifestFile {
  readonly path: string;
  readonly text: string;
}

/** Thin I/O: expands the paths/globs of the `manifests` input and reads the files. */
export function readManifestFiles(input: string, patterns: readonly string[], cwd: string = process.cwd()): ManifestFile[] {
  const files: ManifestFile[] = [];
  let total = 0;
  for (const pattern of patterns) {
    const matches = /[*?[{]/.test(pattern) ? globSync(pattern, { cwd }).sort() : [pattern];
    if (!matches.length) throw new InputError(`${input}: '${pattern}' matches no file (relative to ${cwd})`);
    for (const m of matches) {
      const path = isAbsolute(m) ? m : resolve(cwd, m);
      let size: number;
      try {
        const st = statSync(path);
        if (st.isDirectory()) throw new InputError(`${input}: '${m}' is a directory; give files or a glob such as ${m}/*.yaml`);
        size = st.size;
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(`${input}: cannot read '${m}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (size > MAX_FILE_BYTES) throw new InputError(`${input}: '${m}' is ${size} bytes; at most ${MAX_FILE_BYTES} per file are accepted`);
      total += size;
      if (total > MAX_TOTAL_BYTES) throw new InputError(`${input}: the files add up to more than ${MAX_TOTAL_BYTES} bytes`);
      files.push({ path: m, text: readFileSync(path, 'utf8') });
    }
  }
  return files;
}

/** Pure: multi-document YAML -> objects, each checked to look like a Kubernetes object. */
export function parseManifests(input: string, files: readonly ManifestFile[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const f of files) {
    let docs: unknown[];
    try {
      docs = loadAll(f.text);
    } catch (err) {
      throw new InputError(`${input}: ${f.path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const [i, doc] of docs.entries()) {
      if (doc === null || doc === undefined) continue;
      const where = `${f.path} document ${i + 1}`;
      if (typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(`${input}: ${where} is not a Kubernetes object (a mapping with apiVersion and kind)`);
      let json: string;
      try {
        json = boundedStringify(doc, MAX_OBJECT_JSON);
      } catch {
        throw new InputError(`${input}: ${where} expands to more than ${MAX_OBJECT_JSON} bytes (YAML aliases?); refused`);
      }
      const obj = JSON.parse(json) as KubeObject;
      const items = obj.kind === 'List' && Array.isArray((obj as { items?: unknown }).items) ? (obj as { items: KubeObject[] }).items : [obj];
      for (const o of items) {
        if (typeof o?.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
          throw new InputError(`${input}: ${where} needs apiVersion, kind and metadata.name`);
        }
        out.push(o);
      }
      if (out.length > MAX_OBJECTS) throw new InputError(`${input}: more than ${MAX_OBJECTS} objects`);
    }
  }
  return out;
}

/** JSON.stringify that gives up past `limit` characters instead of exhausting memory. */
function boundedStringify(value: unknown, limit: number): string {
  let size = 0;
  const s = JSON.stringify(value, (_k, v: unknown) => {
    size += typeof v === 'string' ? v.length + 2 : 8;
    if (size > limit) throw new Error('too large');
    return v;
  });
  if (s === undefined || s.length > limit) throw new Error('too large');
  return s;
}

/** The image without tag or digest: `ghcr.io/acme/web:1` -> `ghcr.io/acme/web`. */
export function imageName(ref: string): string {
  const noDigest = ref.split('@')[0] ?? ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function podSpecs(o: KubeObject): PodSpec[] {
  const spec = (o as { spec?: Record<string, unknown> }).spec;
  if (!spec) return [];
  if (o.kind === 'Pod') return [spec as unknown as PodSpec];
  if (o.kind === 'CronJob') {
    const t = (spec.jobTemplate as { spec?: { template?: { spec?: PodSpec } } } | undefined)?.spec?.template?.spec;
    return t ? [t] : [];
  }
  const t = (spec.template as { spec?: PodSpec } | undefined)?.spec;
  return t && Array.isArray(t.containers) ? [t] : [];
}

/** Pure: replaces images named in `images` in every container of every pod template; returns a new object. */
export function substituteImages(o: KubeObject, subs: readonly ImageSubstitution[]): KubeObject {
  if (!subs.length) return o;
  const copy = structuredClone(o);
  for (const spec of podSpecs(copy)) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      const s = c.image ? subs.find((x) => imageName(x.name) === imageName(c.image ?? '')) : undefined;
      if (s) c.image = s.ref;
    }
  }
  return copy;
}

/** Names of substitutions that matched no container: almost always a typo the user wants to hear about. */
export function unusedSubstitutions(objects: readonly KubeObject[], subs: readonly ImageSubstitution[]): string[] {
  const used = new Set<string>();
  for (const o of objects) for (const spec of podSpecs(o)) for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) used.add(imageName(c.image ?? ''));
  return subs.filter((s) => !used.has(imageName(s.name))).map((s) => s.name);
}
