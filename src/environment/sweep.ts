/**
 * What `cleanup` does with each namespace. Pure: namespaces, PR states and locks in, one verdict
 * per namespace out. Ownership is the only licence to delete: our managed-by label AND this
 * repository's label; anything else is at most reported.
 */
import type { Namespace } from '../kube/types.js';
import { compareRuns, shortSha, type Claim } from './lease.js';
import { environmentNamespace } from './naming.js';
import { ANNOTATION, LABEL, MANAGED_BY, MANAGER, isExpired, isManaged, type Owner } from './ownership.js';

/** A PR's state as the GitHub API told it, or why it could not. */
export type PullState = { readonly state: 'open' | 'closed'; readonly merged: boolean } | { readonly error: string };

/** A live environment lock (a run working in the namespace right now). */
export interface LiveLock {
  readonly holder: Claim;
  readonly expiresAtMs: number;
}

export interface SweepInput {
  readonly namespaces: readonly Namespace[];
  readonly owner: Owner;
  /** GITHUB_REPOSITORY's two parts: to recognise namespaces named like ours. */
  readonly repository: { readonly owner: string; readonly repo: string };
  readonly namespacePrefix: string;
  readonly nowMs: number;
  /** Whether PR states were asked of GitHub (a github-token was given). */
  readonly checkPulls: boolean;
  readonly pulls: ReadonlyMap<number, PullState>;
  /** Live environment locks, by namespace. */
  readonly locks: ReadonlyMap<string, LiveLock>;
}

export type KeepKind = 'unexpired' | 'open' | 'pr-unknown' | 'running' | 'foreign' | 'unlabelled';

export type Verdict =
  | { readonly namespace: string; readonly action: 'delete'; readonly reason: string; readonly pr: number | undefined; readonly uid: string; readonly resourceVersion: string }
  /** Already Terminating: not deleted again, waited for and reported like a deletion. */
  | { readonly namespace: string; readonly action: 'recheck'; readonly reason: string; readonly pr: number | undefined; readonly uid: string; readonly resourceVersion: string }
  | { readonly namespace: string; readonly action: 'keep'; readonly kind: KeepKind; readonly reason: string; readonly pr: number | undefined };

const nameOf = (ns: Namespace): string => ns.metadata?.name ?? '';

function prOf(ns: Namespace): number | undefined {
  const raw = ns.metadata?.labels?.[LABEL.pr];
  const n = raw && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a name is exactly what `up` would call this repository's environment of some PR. */
export function looksLikeOurs(name: string, prefix: string, repository: SweepInput['repository']): boolean {
  const m = new RegExp(`^${escapeRegExp(prefix)}-(\\d+)-`).exec(name);
  if (!m?.[1]) return false;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 && environmentNamespace(prefix, n, repository.owner, repository.repo) === name;
}

type Classified =
  | { readonly kind: 'ours'; readonly ns: Namespace }
  | { readonly kind: 'foreign'; readonly ns: Namespace; readonly repo: string }
  | { readonly kind: 'unlabelled'; readonly ns: Namespace }
  | { readonly kind: 'ignore' };

function classify(ns: Namespace, input: Pick<SweepInput, 'owner' | 'repository' | 'namespacePrefix'>): Classified {
  if (!isManaged(ns.metadata)) {
    return looksLikeOurs(nameOf(ns), input.namespacePrefix, input.repository) ? { kind: 'unlabelled', ns } : { kind: 'ignore' };
  }
  const repo = ns.metadata?.labels?.[LABEL.repo];
  if (repo === input.owner.repoLabel) return { kind: 'ours', ns };
  // Another repository's environment: reported only when it carries a name this one would use.
  return looksLikeOurs(nameOf(ns), input.namespacePrefix, input.repository) ? { kind: 'foreign', ns, repo: repo ?? 'missing' } : { kind: 'ignore' };
}

/** How many environments of other repositories the sweep left alone without a look. */
export function otherRepositories(input: Pick<SweepInput, 'namespaces' | 'owner' | 'repository' | 'namespacePrefix'>): number {
  return input.namespaces.filter((ns) => isManaged(ns.metadata) && classify(ns, input).kind === 'ignore').length;
}

/** The PRs whose state decides something: our live, unexpired namespaces with a PR label. */
export function pullsToCheck(input: Omit<SweepInput, 'pulls' | 'locks'>): number[] {
  if (!input.checkPulls) return [];
  const prs = new Set<number>();
  for (const ns of input.namespaces) {
    const c = classify(ns, input);
    if (c.kind !== 'ours' || ns.metadata?.deletionTimestamp || isExpired(ns.metadata, input.nowMs)) continue;
    const pr = prOf(ns);
    if (pr !== undefined) prs.add(pr);
  }
  return [...prs].sort((a, b) => a - b);
}

/** `3d 2h`, `2h 5m`, `12m`, `<1m`. */
export function roughly(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 1) return '<1m';
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d) return h ? `${d}d ${h}h` : `${d}d`;
  if (h) return min ? `${h}h ${min}m` : `${h}h`;
  return `${min}m`;
}

function expiryText(ns: Namespace, nowMs: number): string {
  const raw = ns.metadata?.annotations?.[ANNOTATION.expiresAt];
  const t = Date.parse(raw ?? '');
  if (!Number.isFinite(t)) return raw ? `its expires-at '${raw}' is unreadable, so it never expires` : 'it has no expires-at annotation, so it never expires';
  return t <= nowMs ? `expired at ${raw} (${roughly(nowMs - t)} ago)` : `expires at ${raw} (in ${roughly(t - nowMs)})`;
}

/**
 * Pure: one verdict per namespace that is ours or carries a name this repository would use (without
 * our labels, or with another repository's), sorted by name. Other namespaces get none.
 */
export function decideSweep(input: SweepInput): Verdict[] {
  const out: Verdict[] = [];
  for (const ns of input.namespaces) {
    const c = classify(ns, input);
    const namespace = nameOf(ns);
    const pr = prOf(ns);
    const uid = ns.metadata?.uid ?? '';
    const resourceVersion = ns.metadata?.resourceVersion ?? '';
    if (c.kind === 'ignore') continue;
    if (c.kind === 'unlabelled') {
      out.push({
        namespace,
        action: 'keep',
        kind: 'unlabelled',
        pr: undefined,
        reason: `named like this repository's environment but lacks the label ${MANAGED_BY}=${MANAGER}: not created by kube-ephemeral, left alone`,
      });
      continue;
    }
    if (c.kind === 'foreign') {
      out.push({ namespace, action: 'keep', kind: 'foreign', pr, reason: `belongs to another repository (${LABEL.repo}=${c.repo}); never touched by this one's cleanup` });
      continue;
    }
    if (ns.metadata?.deletionTimestamp) {
      out.push({ namespace, action: 'recheck', pr, uid, resourceVersion, reason: `already Terminating since ${ns.metadata.deletionTimestamp}; checked again` });
      continue;
    }
    const expiry = expiryText(ns, input.nowMs);
    if (isExpired(ns.metadata, input.nowMs)) {
      const lock = input.locks.get(namespace);
      if (lock && lock.holder.intent === 'up' && lock.expiresAtMs > input.nowMs) {
        const h = lock.holder;
        out.push({
          namespace,
          action: 'keep',
          kind: 'running',
          pr,
          reason: `${expiry}, but run ${h.runId} (head SHA ${shortSha(h.sha)}) is working in it right now (${h.runUrl || 'environment lock held'}); left for the next sweep`,
        });
        continue;
      }
      out.push({ namespace, action: 'delete', pr, uid, resourceVersion, reason: expiry });
      continue;
    }
    const pull = pr !== undefined && input.checkPulls ? input.pulls.get(pr) : undefined;
    if (pull && 'state' in pull && pull.state === 'closed') {
      out.push({ namespace, action: 'delete', pr, uid, resourceVersion, reason: `PR #${pr} is ${pull.merged ? 'merged' : 'closed'} (${expiry})` });
      continue;
    }
    if (pull && 'error' in pull) {
      out.push({ namespace, action: 'keep', kind: 'pr-unknown', pr, reason: `${expiry}; the state of PR #${pr} is unknown (${pull.error}), and an API error never deletes anything` });
      continue;
    }
    if (pull && 'state' in pull) {
      out.push({ namespace, action: 'keep', kind: 'open', pr, reason: `PR #${pr} is open; ${expiry}` });
      continue;
    }
    const why = pr === undefined ? 'no PR label' : input.checkPulls ? `PR #${pr} was not checked` : 'PR state not checked (no github-token)';
    out.push({ namespace, action: 'keep', kind: 'unexpired', pr, reason: `${expiry}; ${why}` });
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace));
}

/** The live locks among the action's Leases, by namespace (cleanup lists them in one request). */
export function liveLocks(leases: readonly { namespace: string; holder: Claim | undefined; live: boolean; expiresAtMs: number | undefined }[]): Map<string, LiveLock> {
  const out = new Map<string, LiveLock>();
  for (const l of leases) {
    if (!l.live || !l.holder || l.expiresAtMs === undefined) continue;
    const prev = out.get(l.namespace);
    if (!prev || compareRuns(l.holder, prev.holder) > 0) out.set(l.namespace, { holder: l.holder, expiresAtMs: l.expiresAtMs });
  }
  return out;
}
