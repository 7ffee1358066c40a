import type { Clock } from '../clock.js';
import type { CommandDeps } from '../commands/types.js';
import type { RunContext } from '../context.js';
import { ActionError } from '../errors.js';
import { KubeApiError, isConflict, isNotFound } from '../kube/errors.js';
import type { Kube } from '../kube/http.js';
import { Informer } from '../kube/informer.js';
import { readNamespace, waitNamespaceGone } from '../kube/namespace.js';
import { SharedInformer } from '../kube/shared-wait.js';
import type { Namespace } from '../kube/types.js';
import { TimeoutError } from '../kube/wait.js';
import type { Log } from '../log.js';
import {
  LOCK_NAME,
  RENEW_EVERY_MS,
  acquirePatch,
  decideLock,
  holdProblem,
  identity,
  leftAloneMessage,
  lockLabels,
  newLease,
  releasePatch,
  renewJsonPatch,
  requestPatch,
  sameRun,
  stopMessage,
  viewLease,
  waitMessage,
  type Claim,
  type Intent,
  type Lease,
  type LeaseView,
} from './lease.js';
import { ANNOTATION, FIELD_MANAGER, LABEL, expiresAt, isOwnedBy, ownershipLabels, ownershipProblem, type Owner } from './ownership.js';
import type { Target } from './target.js';

/** This run was made to stop by another one (a newer up, a down), or stopped before taking anything. */
export class SupersededError extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'SupersededError';
  }
}

export type Release = () => Promise<void>;

export interface EnvironmentLock {
  /** Aborted (reason: SupersededError) when this run must stop; follows the run's own cancellation too. */
  readonly signal: AbortSignal;
  /** The namespace as it was when the lock was taken (up: created when it was absent). */
  readonly namespace: Namespace | undefined;
  /** Runs fn holding the lock; when this run was made to stop, throws why instead of fn's error; always releases. */
  run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  readonly release: Release;
}

export interface LockDeps {
  readonly kube: Kube;
  readonly log: Log;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly ctx: Pick<RunContext, 'runId' | 'runAttempt' | 'sha' | 'runUrl'>;
  /** Budget of the whole acquisition (waiting for another run included). */
  readonly timeoutMs: number;
  /** ttl of a namespace created here (up only). */
  readonly ttlMs?: number;
}

/** How long a decision waits for the cache to show the effect of its last write before deciding again. */
const STALE_RECHECK_MS = 2000;

const leasesPath = (ns: string): string => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`;
const claimOf = (ctx: LockDeps['ctx'], intent: Intent): Claim => ({ intent, runId: ctx.runId, runAttempt: ctx.runAttempt, sha: ctx.sha, runUrl: ctx.runUrl });

function noLock(signal: AbortSignal, namespace?: Namespace): EnvironmentLock {
  return { signal, namespace, run: (fn) => fn(signal), release: async () => undefined };
}

/**
 * Serialises runs for one PR environment (a Lease in its namespace; the protocol is described in
 * lease.ts). `up` creates the namespace first when it is absent, so that the lease has a home;
 * `down` locks only a namespace that exists and is ours. Long-lived targets are not locked.
 */
export async function lockEnvironment(deps: CommandDeps, target: Target, intent: 'up' | 'down'): Promise<EnvironmentLock> {
  const d: LockDeps = { kube: deps.kube, log: deps.log, clock: deps.clock, signal: deps.signal, ctx: deps.ctx, timeoutMs: deps.inputs.timeoutMs, ttlMs: deps.inputs.ttlMs };
  if (intent === 'up') return target.mode === 'ephemeral' ? lockForUp(d, target) : noLock(deps.signal);
  const ns = await readNamespace(d.kube, target.namespace, d.signal);
  if (!ns || ns.metadata?.deletionTimestamp || !isOwnedBy(ns.metadata, target.owner)) return noLock(deps.signal, ns);
  const me = claimOf(d.ctx, 'down');
  const got = await acquire(d, target.namespace, me, lockLabels(target.owner, target.prNumber), d.clock.now() + d.timeoutMs);
  if (got.kind !== 'held') return noLock(deps.signal, ns);
  d.log.info(`  took the environment lock of ${target.namespace} (${identity(me)})`);
  return hold(d, target.namespace, me, got.shared, ns);
}

async function lockForUp(d: LockDeps, target: Target): Promise<EnvironmentLock> {
  const me = claimOf(d.ctx, 'up');
  const deadline = d.clock.now() + d.timeoutMs;
  for (;;) {
    const ns = await ensureNamespace(d, target, me, deadline);
    const got = await acquire(d, target.namespace, me, lockLabels(target.owner, target.prNumber), deadline);
    if (got.kind === 'gone') continue; // deleted under us: wait for it to go and create it again
    if (got.kind === 'yield') throw new SupersededError(got.message);
    d.log.info(`  took the environment lock of ${target.namespace} (${identity(me)}, head SHA ${me.sha.slice(0, 7) || 'unknown'})`);
    return hold(d, target.namespace, me, got.shared, ns);
  }
}

export type PostLock = { readonly kind: 'locked'; readonly lock: EnvironmentLock } | { readonly kind: 'left'; readonly message: string } | { readonly kind: 'none' };

/**
 * Post after `up`: may this run delete its environment? Not when another run holds it now or a
 * newer run has deployed it (this run was superseded); then the namespace is left to that run.
 */
export async function lockForPost(d: LockDeps, namespace: string, owner: Owner): Promise<PostLock> {
  const ns = await readNamespace(d.kube, namespace, d.signal);
  if (!ns || ns.metadata?.deletionTimestamp || !isOwnedBy(ns.metadata, owner)) return { kind: 'none' };
  const me = claimOf(d.ctx, 'post');
  const got = await acquire(d, namespace, me, lockLabels(owner, undefined), d.clock.now() + d.timeoutMs);
  if (got.kind === 'gone') return { kind: 'none' };
  if (got.kind === 'yield') return { kind: 'left', message: leftAloneMessage(namespace, got.by, got.why) };
  return { kind: 'locked', lock: hold(d, namespace, me, got.shared, ns) };
}

/** The namespace of an ephemeral environment, created (minimal, ours) when absent; waits out a Terminating one. */
async function ensureNamespace(d: LockDeps, target: Target, me: Claim, deadline: number): Promise<Namespace> {
  const name = target.namespace;
  for (;;) {
    const ns = await readNamespace(d.kube, name, d.signal);
    if (ns && !ns.metadata?.deletionTimestamp) {
      const problem = ownershipProblem(ns.metadata, target.owner);
      if (problem) throw new ActionError(`namespace ${name} already exists and is not this environment's: ${problem}; it is left alone (choose another namespace-prefix)`);
      return ns;
    }
    if (ns) {
      const view = viewLease(await readLease(d.kube, name, d.signal), d.clock.now());
      if (view?.holder?.intent === 'down' && !sameRun(view.holder, me)) throw new SupersededError(stopMessage(name, me, view.holder, 'deletes'));
      d.log.info(`  ${name} is still terminating; waiting until it is gone`);
      if (!(await waitNamespaceGone(d.kube, name, { timeoutMs: Math.max(1000, deadline - d.clock.now()), signal: d.signal }))) {
        throw new ActionError(`namespace ${name} is stuck in Terminating from an earlier run; run command: down or cleanup to see what blocks it`);
      }
      continue;
    }
    try {
      const created = await d.kube.request<Namespace>({
        method: 'POST',
        path: '/api/v1/namespaces',
        query: { fieldManager: FIELD_MANAGER },
        body: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name,
            labels: { ...ownershipLabels(target.owner, target.prNumber), [LABEL.component]: 'environment' },
            annotations: { [ANNOTATION.repository]: target.owner.repository, [ANNOTATION.expiresAt]: expiresAt(d.clock.now(), d.ttlMs ?? 3_600_000) },
          },
        },
        signal: d.signal,
      });
      return created;
    } catch (err) {
      if (!isConflict(err)) throw err; // another run created it a moment ago: read it again
    }
  }
}

async function readLease(kube: Kube, ns: string, signal: AbortSignal): Promise<Lease | undefined> {
  try {
    return await kube.request<Lease>({ method: 'GET', path: `${leasesPath(ns)}/${LOCK_NAME}`, signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

type Acquired =
  | { readonly kind: 'held'; readonly shared: SharedInformer<Lease> }
  | { readonly kind: 'yield'; readonly message: string; readonly by: Claim | undefined; readonly why: string }
  | { readonly kind: 'gone' };

/** The namespace is being deleted or is gone: nothing can be created in it. */
function namespaceGone(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return false;
  if (err.status === 404) return true;
  return err.status === 403 && (err.causes.some((c) => c.reason === 'NamespaceTerminating') || /being terminated/.test(err.serverMessage));
}

/**
 * Takes the Lease, waiting (list + watch, re-checked when a holder's lease would expire) while
 * another run holds it; a run that must not take it gets `yield`.
 */
async function acquire(d: LockDeps, ns: string, me: Claim, labels: Readonly<Record<string, string>>, deadline: number): Promise<Acquired> {
  const inf = new Informer<Lease>(d.kube, leasesPath(ns), { fieldSelector: `metadata.name=${LOCK_NAME}` });
  const shared = new SharedInformer(inf, d.signal);
  const current = (): Lease | undefined => inf.items.get(`${ns}/${LOCK_NAME}`);
  const remaining = (): number => Math.max(1, deadline - d.clock.now());
  let keep = false;
  let announced = '';
  let lastWait = '';
  try {
    await shared.start(remaining());
    /** The resourceVersion ('absent': no lease) an action was based on: wait for the cache to move past it. */
    let stale: string | undefined;
    /** ... but not forever: a conflict the cache never reflects (created and deleted again, a proxy's) is decided again. */
    let staleUntil = 0;
    for (;;) {
      let waiting: LeaseView | undefined;
      let step: { view: LeaseView | undefined; dec: ReturnType<typeof decideLock> };
      try {
        step = await shared.until(
          () => {
            const lease = current();
            const rv = lease?.metadata?.resourceVersion ?? 'absent';
            if (stale !== undefined && rv === stale && d.clock.now() < staleUntil) return undefined;
            stale = undefined;
            const view = viewLease(lease, d.clock.now());
            const dec = decideLock(view, me);
            if (dec.kind !== 'wait') return { view, dec };
            waiting = view;
            lastWait = waitMessage(ns, dec.holder, dec.why, view?.expiresAtMs);
            const key = `${dec.holder ? identity(dec.holder) : ''}|${dec.why}`;
            if (key !== announced) {
              announced = key;
              d.log.info(`  ${lastWait}`);
            }
            return undefined;
          },
          { timeoutMs: remaining(), recheckAt: () => (stale !== undefined ? Math.min(staleUntil, waiting?.expiresAtMs ?? Infinity) : waiting?.expiresAtMs) },
        );
      } catch (err) {
        if (err instanceof TimeoutError) {
          throw new ActionError(`timed out after ${Math.round(d.timeoutMs / 1000)} s: ${lastWait || `could not take the environment lock of ${ns}`}`);
        }
        throw err;
      }
      const { view, dec } = step;
      const basedOn = view?.resourceVersion || 'absent';
      try {
        switch (dec.kind) {
          case 'mine':
            keep = true;
            return { kind: 'held', shared };
          case 'yield':
            return { kind: 'yield', message: stopMessage(ns, me, dec.by, dec.why), by: dec.by, why: dec.why };
          case 'create':
            await d.kube.request({ method: 'POST', path: leasesPath(ns), query: { fieldManager: FIELD_MANAGER }, body: newLease(ns, labels, me, d.clock.now()), signal: d.signal });
            break;
          case 'acquire':
            if (view) await patchLease(d, ns, acquirePatch(view, me, d.clock.now()));
            break;
          case 'request':
            if (view) {
              await patchLease(d, ns, requestPatch(view, me));
              d.log.info(`  asked ${dec.holder ? `run ${dec.holder.runId} (${dec.holder.runUrl || dec.holder.intent})` : 'the holder'} to stop and hand over the environment lock of ${ns}`);
            }
            break;
        }
      } catch (err) {
        if (namespaceGone(err) && dec.kind === 'create') return { kind: 'gone' };
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
      // Success or a lost race: either way, decide again once the cache has moved on.
      stale = basedOn;
      staleUntil = d.clock.now() + STALE_RECHECK_MS;
    }
  } finally {
    if (!keep) shared.close();
  }
}

async function patchLease(d: LockDeps, ns: string, body: unknown, contentType = 'application/merge-patch+json'): Promise<void> {
  await d.kube.request({ method: 'PATCH', path: `${leasesPath(ns)}/${LOCK_NAME}`, query: { fieldManager: FIELD_MANAGER }, body, contentType, signal: d.signal });
}

/** Holding: renews the lease, watches it for a takeover request (then aborts the signal), releases. */
function hold(d: LockDeps, ns: string, me: Claim, shared: SharedInformer<Lease>, namespace: Namespace | undefined): EnvironmentLock {
  const ac = new AbortController();
  const signal = AbortSignal.any([d.signal, ac.signal]);
  const lease = (): Lease | undefined => shared.items.get(`${ns}/${LOCK_NAME}`);
  let warnedWatch = false;
  const check = (): void => {
    if (ac.signal.aborted) return;
    if (shared.informer.failure) {
      if (!warnedWatch) d.log.warning(`lost the watch on the environment lock of ${ns}; a takeover by another run would not be noticed`);
      warnedWatch = true;
      return;
    }
    const problem = holdProblem(lease(), me, d.clock.now());
    if (!problem) return;
    const message = stopMessage(ns, me, problem.by, problem.why);
    d.log.warning(message, { title: 'kube-ephemeral: this run stops' });
    ac.abort(new SupersededError(message));
  };
  const off = shared.informer.onChange(check);
  const renew = async (): Promise<void> => {
    try {
      await patchLease(d, ns, renewJsonPatch(me, d.clock.now()), 'application/json-patch+json');
    } catch (err) {
      d.log.debug(`renewing the environment lock of ${ns} failed: ${(err as Error).message}`);
    }
  };
  const timer = setInterval(() => void renew(), RENEW_EVERY_MS);
  let released: Promise<void> | undefined;
  const release = (): Promise<void> =>
    (released ??= (async () => {
      clearInterval(timer);
      off();
      try {
        let fresh = lease();
        for (let attempt = 0; attempt < 3; attempt++) {
          const view = viewLease(fresh, d.clock.now());
          if (!view || view.holderIdentity !== identity(me)) return;
          try {
            await d.kube.request({
              method: 'PATCH',
              path: `${leasesPath(ns)}/${LOCK_NAME}`,
              query: { fieldManager: FIELD_MANAGER },
              body: releasePatch(view),
              contentType: 'application/merge-patch+json',
              signal: AbortSignal.timeout(10_000),
            });
            return;
          } catch (err) {
            if (!isConflict(err)) throw err;
            fresh = await readLease(d.kube, ns, AbortSignal.timeout(10_000));
          }
        }
      } catch (err) {
        if (!isNotFound(err) && !namespaceGone(err)) d.log.debug(`releasing the environment lock of ${ns} failed: ${(err as Error).message}`);
      } finally {
        shared.close();
      }
    })());
  check();
  return {
    signal,
    namespace,
    release,
    async run<T>(fn: (s: AbortSignal) => Promise<T>): Promise<T> {
      try {
        return await fn(signal);
      } catch (err) {
        if (ac.signal.aborted && !d.signal.aborted) throw ac.signal.reason;
        throw err;
      } finally {
        await release();
      }
    },
  };
}
