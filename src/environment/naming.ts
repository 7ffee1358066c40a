import { createHash } from 'node:crypto';

const MAX_LABEL = 63;

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Lowercase, every run of characters outside [a-z0-9] becomes '-', no '-' at either end. */
export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `<prefix>-<pr>-<repo>` (`pr-7-shop`): a DNS-1123 label of at most 63 characters. When too
 * long, the repo part is cut and a hash of the full identity keeps names of different repos apart.
 */
export function environmentNamespace(prefix: string, prNumber: number, owner: string, repo: string): string {
  const head = `${prefix}-${prNumber}`;
  const tail = slug(repo) || 'repo';
  const full = `${head}-${tail}`;
  if (full.length <= MAX_LABEL) return full;
  const h = hash(`${owner}/${repo}#${prNumber}`.toLowerCase(), 6);
  const room = MAX_LABEL - head.length - h.length - 2;
  const cut = tail.slice(0, Math.max(0, room)).replace(/-+$/, '');
  return cut ? `${head}-${cut}-${h}` : `${head}-${h}`;
}

const LABEL_VALUE = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;

/** The value of the repo label: `owner.repo`, lowercase; hashed when it would not be a valid label value. */
export function repoLabelValue(owner: string, repo: string): string {
  const full = `${owner}.${repo}`.toLowerCase();
  if (full.length <= MAX_LABEL && LABEL_VALUE.test(full)) return full;
  const h = hash(full, 8);
  const cut = full
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, MAX_LABEL - h.length - 1)
    .replace(/[^a-z0-9]+$/, '');
  return cut ? `${cut}-${h}` : h;
}

/** A Job name unique to the run attempt: `test-<run>-<attempt>`, within 63 characters. */
export function testJobName(runId: string, runAttempt: string, base = 'test'): string {
  const name = `${base}-${slug(runId) || '0'}-${slug(runAttempt) || '1'}`;
  return name.length <= MAX_LABEL ? name : `${base}-${hash(name, 10)}`;
}
