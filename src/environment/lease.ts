/**
 * The environment lock: one Lease (coordination.k8s.io/v1) in the environment's namespace that
 * serialises the runs of one PR. Pure: what the Lease says, what a run decides about it, and the
 * patches that carry the decision out (src/environment/lock.ts sends them).
 *
 * Protocol
 * - `spec.holderIdentity` is `<intent>/<run id>/<run attempt>` while held and absent when free.
 *   The annotation `kube-ephemeral.io/holder` keeps the holder's claim (intent, run id/attempt,
 *   head SHA, run URL) — also after release, as "the last run that held it".
 * - A holder renews `spec.renewTime` every RENEW_EVERY_MS; the lease is live while
 *   renewTime + leaseDurationSeconds is in the future, so a crashed holder's lease expires.
 * - "Newer" needs no GitHub call: a larger GITHUB_RUN_ID is a later workflow run (run ids only
 *   grow), then a larger GITHUB_RUN_ATTEMPT is a later re-run of the same run. Pushing a new head
 *   SHA starts a new run, so the run of the newer head SHA has the larger run id.
 * - A newer `up` takes over from an older one: it writes its claim to the annotation
 *   `kube-ephemeral.io/takeover` and waits; the holder watches its Lease, sees the request,
 *   stops cleanly and releases; the newer run then acquires (or the lease expires if the holder
 *   crashed). An older `up` never acquires over a newer one (holding or having held): it stops.
 * - `down` always wins: it requests a takeover from any `up`, and an `up` never takes over from
 *   a `down`. An `up` that meets a post step deleting its own run's environment waits until the
 *   namespace is gone and then creates it again.
 * - Post (`intent: post`) deletes only when no other run holds the environment and no newer
 *   `up` has held it; otherwise it leaves the namespace to that run.
 */
import { DOMAIN, LABEL, MANAGED_BY, MANAGER, ownershipLabels, type Owner } from './ownership.js';
import type { KubeObject } from '../kube/types.js';

export const LOCK_NAME = 'kube-ephemeral-lock';
export const LEASE_SECONDS = 30;
export const RENEW_EVERY_MS = 10_000;
export const HOLDER_ANNOTATION = `${DOMAIN}/holder`;
export const TAKEOVER_ANNOTATION = `${DOMAIN}/takeover`;
export const LOCK_COMPONENT = 'lock';

export type Intent = 'up' | 'down' | 'post';

/** Who a run is, as it writes itself into the Lease. */
export interface Claim {
  readonly intent: Intent;
  readonly runId: string;
  readonly runAttempt: string;
  readonly sha: string;
  readonly runUrl: string;
}

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export const identity = (c: Pick<Claim, 'intent' | 'runId' | 'runAttempt'>): string => `${c.intent}/${c.runId}/${c.runAttempt}`;
export const sameRun = (a: Claim, b: Claim): boolean => a.runId === b.runId && a.runAttempt === b.runAttempt;
export const shortSha = (sha: string): string => (sha ? sha.slice(0, 7) : 'unknown');

function bigint(v: string): bigint {
  return /^\d+$/.test(v) ? BigInt(v) : 0n;
}

/** > 0 when a is the newer run: the larger run id, then the larger attempt. */
export function compareRuns(a: Pick<Claim, 'runId' | 'runAttempt'>, b: Pick<Claim, 'runId' | 'runAttempt'>): number {
  const byId = bigint(a.runId) - bigint(b.runId);
  if (byId !== 0n) return byId > 0n ? 1 : -1;
  const byAttempt = bigint(a.runAttempt) - bigint(b.runAttempt);
  return byAttempt === 0n ? 0 : byAttempt > 0n ? 1 : -1;
}

/** RFC 3339 with microseconds, as the API's MicroTime wants it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function parseClaim(text: string | undefined): Claim | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Record<keyof Claim, unknown>>;
    const intent = v.intent;
    if (intent !== 'up' && intent !== 'down' && intent !== 'post') return undefined;
    const s = (x: unknown): string => (typeof x === 'string' ? x : '');
    return { intent, runId: s(v.runId), runAttempt: s(v.runAttempt), sha: s(v.sha), runUrl: s(v.runUrl) };
  } catch {
    return undefined;
  }
}

const claimText = (c: Claim): string => JSON.stringify({ intent: c.intent, runId: c.runId, runAttempt: c.runAttempt, sha: c.sha, runUrl: c.runUrl });

/** What a Lease says, at a given time. */
export interface LeaseView {
  /** The holder's claim while held; the last holder's after release. */
  readonly holder: Claim | undefined;
  /** Held and not expired. */
  readonly live: boolean;
  readonly holderIdentity: string;
  /** When a live lease expires unless renewed. */
  readonly expiresAtMs: number | undefined;
  /** A run asking the holder to stop. */
  readonly takeover: Claim | undefined;
  readonly resourceVersion: string;
  readonly transitions: number;
}

export function viewLease(lease: Lease | undefined, nowMs: number): LeaseView | undefined {
  if (!lease) return undefined;
  const id = lease.spec?.holderIdentity ?? '';
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  const expiresAtMs = id && Number.isFinite(renewed) ? renewed + (lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 : undefined;
  const annotated = parseClaim(lease.metadata?.annotations?.[HOLDER_ANNOTATION]);
  // The annotation is the claim of whoever wrote holderIdentity last; trust the identity if they disagree.
  const holder = annotated && (!id || identity(annotated) === id) ? annotated : id ? claimFromIdentity(id) : annotated;
  return {
    holder,
    live: !!id && expiresAtMs !== undefined && expiresAtMs > nowMs,
    holderIdentity: id,
    expiresAtMs,
    takeover: parseClaim(lease.metadata?.annotations?.[TAKEOVER_ANNOTATION]),
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    transitions: lease.spec?.leaseTransitions ?? 0,
  };
}

function claimFromIdentity(id: string): Claim | undefined {
  const [intent, runId = '', runAttempt = ''] = id.split('/');
  if (intent !== 'up' && intent !== 'down' && intent !== 'post') return undefined;
  return { intent, runId, runAttempt, sha: '', runUrl: '' };
}

export type LockDecision =
  | { readonly kind: 'create' }
  | { readonly kind: 'acquire' }
  | { readonly kind: 'mine' }
  | { readonly kind: 'request'; readonly holder: Claim | undefined }
  | { readonly kind: 'wait'; readonly holder: Claim | undefined; readonly why: string }
  | { readonly kind: 'yield'; readonly by: Claim | undefined; readonly why: string };

/** Whether `other`'s takeover request must stop `me` (the holder, or a run waiting). */
export function preempts(other: Claim, me: Claim): boolean {
  if (sameRun(other, me)) return false;
  if (me.intent !== 'up') return false; // nothing stops a down or a post once it holds
  if (other.intent === 'down') return true;
  return other.intent === 'up' && compareRuns(other, me) > 0;
}

/** Pure: what run `me` does about the Lease as it is now. */
export function decideLock(view: LeaseView | undefined, me: Claim): LockDecision {
  if (!view) return { kind: 'create' };
  const h = view.holder;
  if (view.live && view.holderIdentity === identity(me)) return { kind: 'mine' };
  const heldByOther = view.live; // (held by me was answered above)
  const t = view.takeover && identity(view.takeover) !== identity(me) ? view.takeover : undefined;

  if (me.intent === 'post') {
    if (view.live && h && !sameRun(h, me)) return { kind: 'yield', by: h, why: 'holds' };
    if (h && h.intent === 'up' && !sameRun(h, me) && compareRuns(h, me) > 0) return { kind: 'yield', by: h, why: 'deployed' };
    if (t && !sameRun(t, me)) return { kind: 'yield', by: t, why: 'takes over' };
    return { kind: 'acquire' };
  }

  if (me.intent === 'up') {
    if (h && h.intent === 'up' && !sameRun(h, me) && compareRuns(h, me) > 0) return { kind: 'yield', by: h, why: view.live ? 'holds' : 'deployed' };
    if (t && preempts(t, me)) return { kind: 'yield', by: t, why: 'takes over' };
    if (!heldByOther) return { kind: 'acquire' };
    if (h?.intent === 'down') return { kind: 'yield', by: h, why: 'deletes' };
    if (h?.intent === 'post') return { kind: 'wait', holder: h, why: 'its post step is deleting the namespace' };
    if (view.takeover && identity(view.takeover) === identity(me)) return { kind: 'wait', holder: h, why: 'asked to stop' };
    return { kind: 'request', holder: h };
  }

  // down
  if (!heldByOther) {
    if (t && t.intent === 'down') return { kind: 'wait', holder: t, why: 'another down is taking over' };
    return { kind: 'acquire' };
  }
  if (h?.intent === 'down') return { kind: 'wait', holder: h, why: 'another down is deleting it' };
  if (view.takeover && identity(view.takeover) === identity(me)) return { kind: 'wait', holder: h, why: 'asked to stop' };
  if (t && t.intent === 'down') return { kind: 'wait', holder: t, why: 'another down is taking over' };
  return { kind: 'request', holder: h };
}

/** Pure: while holding, whether the run must stop, and why (undefined: keep going). */
export function holdProblem(lease: Lease | undefined, me: Claim, nowMs: number): { readonly by: Claim | undefined; readonly why: string } | undefined {
  const view = viewLease(lease, nowMs);
  if (!view) return me.intent === 'up' ? { by: undefined, why: 'lease deleted' } : undefined;
  if (view.holderIdentity && view.holderIdentity !== identity(me)) return { by: view.holder, why: 'took over' };
  if (view.takeover && preempts(view.takeover, me)) return { by: view.takeover, why: 'takes over' };
  return undefined;
}

function describeRun(c: Claim): string {
  return `run ${c.runId} (attempt ${c.runAttempt}${c.intent === 'up' ? `, head SHA ${shortSha(c.sha)}` : `, ${c.intent}`})${c.runUrl ? ` ${c.runUrl}` : ''}`;
}

/** Pure: the one line a run prints when it yields or is stopped. */
export function stopMessage(namespace: string, me: Claim, by: Claim | undefined, why: string): string {
  const self = `this run (head SHA ${shortSha(me.sha)})`;
  if (!by) {
    return why === 'lease deleted'
      ? `namespace ${namespace} is being deleted (its environment lock went with it: a down, a cleanup or an admin); ${self} stops`
      : `the environment lock of ${namespace} was lost; ${self} stops`;
  }
  const who = describeRun(by);
  if (by.intent === 'down') return `${who} is deleting ${namespace} (down always wins over up); ${self} stops`;
  if (by.intent === 'post') return `${who} is tearing ${namespace} down; ${self} stops`;
  switch (why) {
    case 'holds':
      return `${who} is newer and holds ${namespace}; ${self} is older and stops without changing it`;
    case 'deployed':
      return `${who} is newer and has already deployed ${namespace}; ${self} is older and stops without changing it`;
    case 'took over':
      return `${who} took the environment lock of ${namespace}; ${self} stops`;
    default:
      return `superseded: ${who} is newer and takes over ${namespace}; ${self} stops cleanly and leaves the environment to it`;
  }
}

/** Pure: why post leaves a superseded run's environment alone. */
export function leftAloneMessage(namespace: string, by: Claim | undefined, why: string): string {
  const who = by ? describeRun(by) : 'another run';
  const what = why === 'deployed' ? 'is newer and has deployed it since' : why === 'takes over' ? 'is taking it over' : 'is working in it now';
  return `namespace ${namespace} is left alone: ${who} ${what}`;
}

/** Pure: the line a waiting run prints, naming the holder and its run URL. */
export function waitMessage(namespace: string, holder: Claim | undefined, why: string, expiresAtMs: number | undefined): string {
  const who = holder ? describeRun(holder) : 'another run';
  const until = expiresAtMs ? `; its lease expires at ${new Date(expiresAtMs).toISOString()} unless renewed` : '';
  return `waiting for ${who}, which holds the environment lock of ${namespace} (${why})${until}`;
}

export function lockLabels(owner: Owner, prNumber: number | undefined): Record<string, string> {
  return { ...ownershipLabels(owner, prNumber), [LABEL.component]: LOCK_COMPONENT };
}

/** The label selector of every environment lock of the action. */
export const LOCK_SELECTOR = `${MANAGED_BY}=${MANAGER},${LABEL.component}=${LOCK_COMPONENT}`;

export function newLease(namespace: string, labels: Readonly<Record<string, string>>, me: Claim, nowMs: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: LOCK_NAME, namespace, labels: { ...labels }, annotations: { [HOLDER_ANNOTATION]: claimText(me) } },
    spec: { holderIdentity: identity(me), leaseDurationSeconds: LEASE_SECONDS, acquireTime: microTime(nowMs), renewTime: microTime(nowMs), leaseTransitions: 0 },
  };
}

/** Merge patches; each carries the resourceVersion it was decided on (a 409 means: decide again). */
export function acquirePatch(view: LeaseView, me: Claim, nowMs: number): Record<string, unknown> {
  const takeover = view.takeover && identity(view.takeover) === identity(me) ? null : undefined;
  return {
    metadata: { resourceVersion: view.resourceVersion, annotations: { [HOLDER_ANNOTATION]: claimText(me), ...(takeover === null ? { [TAKEOVER_ANNOTATION]: null } : {}) } },
    spec: {
      holderIdentity: identity(me),
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: microTime(nowMs),
      renewTime: microTime(nowMs),
      leaseTransitions: view.transitions + (view.holderIdentity === identity(me) ? 0 : 1),
    },
  };
}

export function requestPatch(view: LeaseView, me: Claim): Record<string, unknown> {
  return { metadata: { resourceVersion: view.resourceVersion, annotations: { [TAKEOVER_ANNOTATION]: claimText(me) } } };
}

export function releasePatch(view: LeaseView): Record<string, unknown> {
  return { metadata: { resourceVersion: view.resourceVersion }, spec: { holderIdentity: null } };
}

/** A JSON patch that renews only while `me` still holds (the test fails otherwise). */
export function renewJsonPatch(me: Claim, nowMs: number): unknown[] {
  return [
    { op: 'test', path: '/spec/holderIdentity', value: identity(me) },
    { op: 'replace', path: '/spec/renewTime', value: microTime(nowMs) },
  ];
}
