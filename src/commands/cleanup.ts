import { limiter, type Limit } from '../concurrency.js';
import { ActionError, InputError, errorMessage } from '../errors.js';
import { LOCK_SELECTOR, viewLease, type Lease } from '../environment/lease.js';
import { decideSweep, liveLocks, otherRepositories, pullsToCheck, type PullState, type Verdict } from '../environment/sweep.js';
import { ownerOf } from '../environment/target.js';
import { pullStates } from '../github/pulls.js';
import { requirePermissions } from '../kube/access.js';
import { namespaceBlockers } from '../kube/blockers.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { Kube } from '../kube/http.js';
import { Informer } from '../kube/informer.js';
import { readNamespace } from '../kube/namespace.js';
import { permissionsFor } from '../kube/permissions.js';
import { SharedInformer } from '../kube/shared-wait.js';
import type { List, Namespace } from '../kube/types.js';
import { TimeoutError } from '../kube/wait.js';
import { renderSweepSummary, type SweepResult } from './cleanup-report.js';
import type { GitHub } from '../github/client.js';
import { markEnvironmentGone } from '../github/environment-gone.js';
import type { CommandDeps, CommandFn } from './types.js';

/** DELETE requests (and stuck diagnoses) in flight at once; the waits all share one watch. */
export const DELETE_CONCURRENCY = 10;

type Outcome =
  | { readonly state: 'deleted'; readonly durationMs: number; readonly note?: string }
  | { readonly state: 'would-delete' }
  | { readonly state: 'kept'; readonly reason: string }
  | { readonly state: 'failed'; readonly reason: string; readonly blockers: readonly string[] };

/**
 * `command: cleanup` (a `schedule` workflow): deletes this repository's environments whose
 * expires-at has passed or whose PR is closed, concurrently, waiting for each to be gone; a
 * namespace stuck in Terminating is reported with what blocks it and left for the next sweep.
 */
export const cleanup: CommandFn = async (deps) => {
  const { inputs, ctx, kube, log, report, signal, clock, github } = deps;
  if (!ctx.owner || !ctx.repo) throw new InputError('GITHUB_REPOSITORY is not set; cleanup sweeps the environments of that repository');
  await requirePermissions(deps, permissionsFor('cleanup', ''));
  const owner = ownerOf(ctx);

  // One list + watch of all namespaces serves the sweep's decisions and every wait until gone.
  const shared = new SharedInformer(new Informer<Namespace>(kube, '/api/v1/namespaces'), signal);
  try {
    await report.phase(log, 'List environments', () => shared.start(inputs.timeoutMs));
    const namespaces = [...shared.items.values()];
    const base = {
      namespaces,
      owner,
      repository: { owner: ctx.owner, repo: ctx.repo },
      namespacePrefix: inputs.namespacePrefix,
      nowMs: clock.now(),
      checkPulls: !!github,
    };
    const prs = pullsToCheck(base);
    let pulls = new Map<number, PullState>();
    if (github && prs.length) {
      pulls = await report.phase(log, `Ask GitHub about ${prs.length} PR(s)`, async () => {
        const states = await pullStates(github, ctx.owner, ctx.repo, prs, signal);
        for (const [n, s] of states) log.info(`  PR #${n}: ${'error' in s ? `unknown (${s.error})` : s.merged ? 'merged' : s.state}`);
        return states;
      });
    } else if (!github) {
      log.info('No github-token: PR states are not checked; only expiry decides');
    }
    const locks = await listLocks(kube, clock.now(), signal);
    const verdicts = decideSweep({ ...base, pulls, locks });
    const acting = verdicts.filter((v) => v.action !== 'keep');
    const others = otherRepositories(base);
    log.info(`${verdicts.length} environment(s) of ${owner.repository} or named like one: ${acting.length} to delete or re-check, ${verdicts.length - acting.length} kept`);
    if (others) log.info(`${others} environment(s) of other repositories left alone (never touched by this repository's cleanup)`);
    report.set('otherRepositories', others);

    const limit = limiter(DELETE_CONCURRENCY);
    const title = inputs.dryRun ? `Dry run: ${acting.length} namespace(s) would be deleted` : `Delete ${acting.length} namespace(s)`;
    const outcomes = await report.phase(log, title, () =>
      Promise.all(
        verdicts.map(async (v): Promise<[Verdict, Outcome]> => {
          const out = await act(deps, shared, limit, v);
          log.info(`  ${line(v, out)}`);
          return [v, out];
        }),
      ),
    );
    const result = summarize(outcomes, inputs.dryRun);
    report.set('deleted', result.deleted);
    if (inputs.dryRun) report.set('wouldDelete', result.wouldDelete);
    report.set('kept', result.kept);
    report.set('failed', result.failed);
    report.set('summarySections', [renderSweepSummary(result, inputs.dryRun)]);
    if (github && !inputs.dryRun && (inputs.comment || inputs.githubDeployment)) await tellGitHub(deps, github, result.deleted);
    for (const k of result.kept.filter((x) => x.kind === 'unlabelled')) log.warning(`${k.namespace}: ${k.reason}`, { title: 'kube-ephemeral cleanup left a namespace alone' });
    for (const f of result.failed) log.warning(`${f.namespace}: ${f.reason}${f.blockers.length ? `: ${f.blockers.join('; ')}` : ''}`, { title: 'kube-ephemeral cleanup could not delete' });
    log.info(
      inputs.dryRun
        ? `dry run: ${result.wouldDelete.length} would be deleted, ${result.kept.length} kept, ${result.failed.length} failed`
        : `${result.deleted.length} deleted, ${result.kept.length} kept, ${result.failed.length} failed`,
    );
    if (result.failed.length) {
      throw new ActionError(
        `cleanup: ${result.failed.length} of ${acting.length} deletion(s) failed: ${result.failed.map((f) => `${f.namespace} (${f.reason}${f.blockers[0] ? `: ${f.blockers[0]}` : ''})`).join(', ')}`,
        result.failed.flatMap((f) => [`${f.namespace}: ${f.reason}`, ...f.blockers.map((b) => `  ${b}`)]),
      );
    }
  } finally {
    shared.close();
  }
};

/** Each deleted environment's PR comment says so and its GitHub Deployments become inactive (never throws). */
async function tellGitHub(deps: CommandDeps, github: GitHub, deleted: SweepResult['deleted']): Promise<void> {
  const { inputs, ctx, log, signal } = deps;
  for (const d of deleted) {
    if (d.pr === undefined) continue;
    const out = await markEnvironmentGone(github, ctx, d.pr, d.namespace, {
      log,
      comment: inputs.comment,
      deployment: inputs.githubDeployment,
      reason: `deleted by cleanup: ${d.reason}`,
      command: 'cleanup',
      signal,
    });
    if (out.unreachable) {
      log.warning('GitHub does not answer: the other deleted environments are not marked on their PRs', { title: 'kube-ephemeral: GitHub feedback' });
      return;
    }
  }
}

/** The live environment locks of every namespace, in one list (an expired environment whose run is still working is kept). */
async function listLocks(kube: Kube, nowMs: number, signal: AbortSignal): Promise<ReturnType<typeof liveLocks>> {
  const list = await kube.request<List<Lease>>({ method: 'GET', path: '/apis/coordination.k8s.io/v1/leases', query: { labelSelector: LOCK_SELECTOR }, signal });
  return liveLocks(
    list.items.map((l) => {
      const v = viewLease(l, nowMs);
      return { namespace: l.metadata?.namespace ?? '', holder: v?.holder, live: v?.live ?? false, expiresAtMs: v?.expiresAtMs };
    }),
  );
}

const nsKey = (name: string): string => `/${name}`;

async function act(deps: CommandDeps, shared: SharedInformer<Namespace>, limit: Limit, v: Verdict): Promise<Outcome> {
  const { kube, signal, inputs, clock } = deps;
  if (v.action === 'keep') return { state: 'kept', reason: v.reason };
  const path = `/api/v1/namespaces/${encodeURIComponent(v.namespace)}`;
  const started = clock.now();
  if (v.action === 'delete') {
    // Preconditions: only the namespace as it was judged (same uid, not renewed since). With a
    // body, the API server reads dryRun from the body only (a dryRun query parameter is ignored).
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: v.uid, resourceVersion: v.resourceVersion }, ...(inputs.dryRun ? { dryRun: ['All'] } : {}) };
    try {
      await limit(() => kube.request({ method: 'DELETE', path, body, signal, retry: true }));
    } catch (err) {
      if (isNotFound(err)) return { state: 'deleted', durationMs: 0, note: 'it was already gone' };
      if (!isConflict(err)) return { state: 'failed', reason: `the delete failed: ${errorMessage(err)}`, blockers: [] };
      const now = await readNamespace(kube, v.namespace, signal).catch(() => undefined);
      if (!now) return { state: 'deleted', durationMs: 0, note: 'it was already gone' };
      if (now.metadata?.uid !== v.uid || !now.metadata?.deletionTimestamp) {
        return { state: 'kept', reason: 'it changed after the sweep listed it (renewed by a run, or created again); left for the next sweep' };
      }
      // Terminating already (an earlier attempt of this request, a down, another sweep): wait for it.
    }
    if (inputs.dryRun) return { state: 'would-delete' };
  } else if (inputs.dryRun) {
    return { state: 'kept', reason: `${v.reason}; a dry run does not wait for it` };
  }
  try {
    await shared.until(
      () => {
        const cur = shared.items.get(nsKey(v.namespace));
        return !cur || cur.metadata?.uid !== v.uid ? true : undefined;
      },
      { timeoutMs: inputs.timeoutMs },
    );
    return { state: 'deleted', durationMs: clock.now() - started };
  } catch (err) {
    if (!(err instanceof TimeoutError)) return { state: 'failed', reason: `waiting for it to go failed: ${errorMessage(err)}`, blockers: [] };
    const cur = (await readNamespace(kube, v.namespace, signal).catch(() => undefined)) ?? shared.items.get(nsKey(v.namespace));
    if (!cur || cur.metadata?.uid !== v.uid) return { state: 'deleted', durationMs: clock.now() - started };
    const blockers = await limit(() => namespaceBlockers(kube, cur, signal)).catch((e: unknown) => [`could not tell what blocks it: ${errorMessage(e)}`]);
    return { state: 'failed', reason: `stuck in Terminating after ${Math.round(inputs.timeoutMs / 1000)} s; left for the next sweep`, blockers };
  }
}

function line(v: Verdict, out: Outcome): string {
  switch (out.state) {
    case 'deleted':
      return `deleted ${v.namespace}: ${v.reason}${out.note ? `; ${out.note}` : ''} (gone after ${(out.durationMs / 1000).toFixed(1)} s)`;
    case 'would-delete':
      return `would delete ${v.namespace}: ${v.reason}`;
    case 'kept':
      return `kept ${v.namespace}: ${out.reason}`;
    case 'failed':
      return `FAILED ${v.namespace}: ${out.reason}${out.blockers.length ? ` — ${out.blockers.join('; ')}` : ''}`;
  }
}

function summarize(outcomes: readonly [Verdict, Outcome][], dryRun: boolean): SweepResult {
  const r: SweepResult = { deleted: [], wouldDelete: [], kept: [], failed: [] };
  for (const [v, out] of outcomes) {
    const pr = v.pr === undefined ? {} : { pr: v.pr };
    switch (out.state) {
      case 'deleted':
        r.deleted.push({ namespace: v.namespace, reason: out.note ? `${v.reason}; ${out.note}` : v.reason, durationMs: out.durationMs, ...pr });
        break;
      case 'would-delete':
        r.wouldDelete.push({ namespace: v.namespace, reason: v.reason, ...pr });
        break;
      case 'kept':
        r.kept.push({ namespace: v.namespace, reason: out.reason, kind: v.action === 'keep' ? v.kind : dryRun ? 'terminating' : 'changed', ...pr });
        break;
      case 'failed':
        r.failed.push({ namespace: v.namespace, reason: out.reason, blockers: out.blockers, ...pr });
        break;
    }
  }
  return r;
}
