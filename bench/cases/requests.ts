/**
 * Case 4: the API requests one `up` makes, by verb and resource, recorded by a proxy in front of
 * the API server that only the measured client uses (test/faults/helpers/api-proxy.ts), for the
 * action, the kubectl script and Helm doing the work of case 1; and the apiserver's own
 * apiserver_request_total before/after the action's run (all clients: controllers included).
 *
 * No sleep-and-poll loop: the GETs of any one object stay O(1), and a run whose app takes ~10 s
 * longer to become ready (a kwok stage that delays readiness) makes the same requests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiProxy, resourceOf, type RecordedRequest } from '../../test/faults/helpers/api-proxy.ts';
import { REPO_ROOT } from '../../test/faults/helpers/local-cluster.ts';
import { installSlowReadyStage } from '../../test/faults/helpers/stages.ts';
import { newRunId, pullRequestEvent, runActionTimed } from '../lib/action.ts';
import { type BenchContext, type CaseResult, registerTestLog, toolEnv, waitGone } from '../lib/context.ts';
import { runTimed } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';
import { captureUpManifests, upInputs } from './up.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'patch' | 'update' | 'delete' | 'other';

export function verbOf(r: RecordedRequest): Verb {
  const { name } = resourceOf(r.path);
  switch (r.method) {
    case 'GET':
      if (r.stream && /(^|&)watch=(1|true)/.test(r.query.toString())) return 'watch';
      return name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PATCH':
      return 'patch';
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}

export interface RequestProfile {
  readonly total: number;
  readonly byVerb: Record<string, number>;
  /** "verb resource" -> count */
  readonly byVerbResource: Record<string, number>;
  /** The most GETs of one object, and which. */
  readonly maxGetsOfOneObject: { readonly count: number; readonly path: string };
  /** The most LISTs of one collection (with the same query, less resourceVersion/continue). */
  readonly maxListsOfOneCollection: { readonly count: number; readonly path: string };
}

export function profile(reqs: readonly RecordedRequest[]): RequestProfile {
  const byVerb: Record<string, number> = {};
  const byVerbResource: Record<string, number> = {};
  const gets = new Map<string, number>();
  const lists = new Map<string, number>();
  for (const r of reqs) {
    const v = verbOf(r);
    const res = resourceOf(r.path);
    byVerb[v] = (byVerb[v] ?? 0) + 1;
    const k = `${v} ${res.group ? `${res.resource}.${res.group}` : res.resource}`;
    byVerbResource[k] = (byVerbResource[k] ?? 0) + 1;
    if (v === 'get' && !r.path.endsWith('/log')) gets.set(r.path, (gets.get(r.path) ?? 0) + 1);
    if (v === 'list') {
      const q = new URLSearchParams(r.query);
      q.delete('resourceVersion');
      q.delete('continue');
      q.delete('limit');
      const key = `${r.path}?${q.toString()}`;
      lists.set(key, (lists.get(key) ?? 0) + 1);
    }
  }
  const max = (m: Map<string, number>) => [...m].reduce((a, [path, count]) => (count > a.count ? { count, path } : a), { count: 0, path: '-' });
  return { total: reqs.length, byVerb, byVerbResource, maxGetsOfOneObject: max(gets), maxListsOfOneCollection: max(lists) };
}

/** apiserver_request_total summed by verb (all clients), from the admin's /metrics. */
async function scrape(ctx: BenchContext): Promise<Record<string, number>> {
  const r = await ctx.cluster.kubectl(['get', '--raw', '/metrics']);
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '?';
    out[verb] = (out[verb] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

const delta = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

export async function requestsCase(ctx: BenchContext): Promise<CaseResult> {
  const dir = join(ctx.work, 'requests-manifests');
  await runTimed('mkdir', ['-p', dir]);
  await captureUpManifests(ctx, dir);
  await installSlowReadyStage(ctx.cluster);
  const runs: Record<string, RequestProfile> = {};
  const details: Record<string, unknown> = {};

  const throughProxy = async (label: string, fn: (proxy: ApiProxy) => Promise<void>): Promise<void> => {
    const proxy = await new ApiProxy({ upstream: ctx.cluster.apiServer, adminKubeconfig: ctx.cluster.adminKubeconfigPath }).start();
    try {
      await fn(proxy);
    } finally {
      await proxy.stop();
    }
    runs[label] = profile(proxy.requests);
  };

  // The action, twice: the app ready at once, and ready only after ~10 s.
  for (const [label, image, pr] of [
    ['action', 'ghcr.io/acme/shop:1.0.0', 41],
    ['action, app ready 10 s later', 'local/app:slow-ready', 42],
  ] as const) {
    const ns = `pr-${pr}-shop`;
    await registerTestLog(ctx, ns);
    const before = label === 'action' ? await scrape(ctx) : undefined;
    await throughProxy(label, async (proxy) => {
      const o = { bundle: ctx.bundle, inputs: upInputs(ctx, { kubeconfig: proxy.kubeconfig(), 'app-image': image }), event: pullRequestEvent({ number: pr }), runId: newRunId() };
      const main = await runActionTimed(o);
      if (main.code !== 0) throw new Error(`${label}: up failed: ${main.result?.cause ?? main.stderr}`);
      details[`${label} phases`] = main.result?.phases;
      if (before) details['apiserver_request_total delta during the action main step (all clients, by verb)'] = delta(before, await scrape(ctx));
    });
    await ctx.cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
    await ctx.cluster.unregisterPodLogs(ns);
    await waitGone(ctx, ns);
  }

  const proxyKubeconfig = (proxy: ApiProxy): string => {
    const file = join(ctx.work, `proxy-${Date.now()}.kubeconfig`);
    writeFileSync(file, proxy.kubeconfig());
    return file;
  };
  // The kubectl script and Helm: main only (the same span as the action's main step).
  await registerTestLog(ctx, 'kb-41-shop');
  await throughProxy('kubectl', async (proxy) => {
    const run = await runTimed('bash', [join(REPO_ROOT, 'bench/kubectl/up.sh'), 'kb-41-shop', dir], { env: toolEnv(ctx, proxyKubeconfig(proxy)), marks: { main: /^MARK main-done$/ }, killWhen: (l) => l === 'MARK main-done' });
    if (run.marks.main === undefined) throw new Error(`kubectl: ${run.stderr}`);
  });
  await ctx.cluster.kubectl(['delete', 'namespace', 'kb-41-shop', '--wait=true']);
  if (ctx.helm) {
    await registerTestLog(ctx, 'hm-41-shop');
    await throughProxy('helm', async (proxy) => {
      const run = await runTimed('bash', [join(REPO_ROOT, 'bench/helm/up.sh'), 'hm-41-shop', join(REPO_ROOT, 'bench/chart')], { env: toolEnv(ctx, proxyKubeconfig(proxy)), marks: { main: /^MARK main-done$/ }, killWhen: (l) => l === 'MARK main-done' });
      if (run.marks.main === undefined) throw new Error(`helm: ${run.stderr}`);
    });
    await ctx.cluster.kubectl(['delete', 'namespace', 'hm-41-shop', '--wait=true']);
  }

  const a = runs.action;
  const slow = runs['action, app ready 10 s later'];
  const k = runs.kubectl;
  const h = runs.helm;
  const one = (x: number | undefined) => summarize(x === undefined ? [] : [x]);
  const verbs: (keyof RequestProfile['byVerb'])[] = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
  return {
    id: 'requests',
    title: 'API requests of one up',
    rows: [
      { metric: 'requests in total (main step)', unit: 'count', action: one(a?.total), kubectl: one(k?.total), ...(h ? { helm: one(h.total) } : {}) },
      ...verbs.map((v) => ({ metric: `  ${v}`, unit: 'count' as const, action: one(a?.byVerb[v] ?? 0), kubectl: one(k?.byVerb[v] ?? 0), ...(h ? { helm: one(h.byVerb[v] ?? 0) } : {}) })),
      { metric: 'most GETs of one object', unit: 'count', action: one(a?.maxGetsOfOneObject.count), kubectl: one(k?.maxGetsOfOneObject.count), ...(h ? { helm: one(h.maxGetsOfOneObject.count) } : {}) },
      { metric: 'requests when the app is ready ~10 s later', unit: 'count', action: one(slow?.total) },
    ],
    notes: [
      `action by verb and resource: ${Object.entries(a?.byVerbResource ?? {}).sort().map(([kk, v]) => `${kk} ${v}`).join(', ')}`,
      `the action's most-read object: ${a?.maxGetsOfOneObject.path} (${a?.maxGetsOfOneObject.count}x); most-listed collection: ${a?.maxListsOfOneCollection.path} (${a?.maxListsOfOneCollection.count}x)`,
      `with the app ready ~10 s later the action made ${slow?.total} requests (${Object.entries(slow?.byVerb ?? {}).map(([kk, v]) => `${kk} ${v}`).join(', ')}) against ${a?.total}: waiting costs no requests (watches, not polls)`,
      'kubectl: one process per step, each with discovery (cold cache, as on a fresh runner); its waits (rollout status, wait, logs -f) are watches too.',
    ],
    details: { profiles: runs, ...details },
  };
}
