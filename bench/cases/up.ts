/**
 * Case 1: `up` with the app and PostgreSQL, to the moment the test Job is created, and the whole
 * up + post — against a kubectl script applying the very objects the action deploys, and Helm
 * installing an equivalent chart (bench/chart) with `--wait`, `helm test`, `helm uninstall`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/faults/helpers/local-cluster.ts';
import { newRunId, pullRequestEvent, runActionTimed } from '../lib/action.ts';
import { type BenchContext, type CaseResult, type ContenderName, namespaceExists, order, registerTestLog, toolEnv, waitGone } from '../lib/context.ts';
import { runTimed } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown>; spec?: Record<string, unknown>; kind?: string };

export function upInputs(ctx: BenchContext, extra: Record<string, string> = {}): Record<string, string> {
  return {
    kubeconfig: ctx.cluster.adminKubeconfig(),
    'app-image': 'ghcr.io/acme/shop:1.0.0',
    'app-health-path': '/healthz',
    database: 'postgresql',
    'test-image': 'local/test:pass',
    'test-command': 'npm test',
    comment: 'false',
    'github-deployment': 'false',
    ...extra,
  };
}

const SERVER_META = ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink', 'ownerReferences'];
const JOB_LABELS = ['controller-uid', 'job-name', 'batch.kubernetes.io/controller-uid', 'batch.kubernetes.io/job-name'];

/** An object as read from the server, reduced to what a user would have written. */
export function clean(o: Obj): Obj {
  const { status: _s, ...rest } = o;
  const meta = { ...(rest.metadata ?? {}) };
  for (const k of SERVER_META) delete meta[k];
  const ann = { ...((meta.annotations as Record<string, string> | undefined) ?? {}) };
  delete ann['deployment.kubernetes.io/revision'];
  meta.annotations = ann;
  const out: Obj = { ...rest, metadata: meta };
  if (o.kind === 'Service' && out.spec) {
    const spec = { ...out.spec };
    for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) delete spec[k];
    out.spec = spec;
  }
  return out;
}

function cleanJob(o: Obj): Obj {
  const job = clean(o);
  const meta = { ...(job.metadata ?? {}), name: 'test' };
  const labels = { ...((meta.labels as Record<string, string> | undefined) ?? {}) };
  for (const k of JOB_LABELS) delete labels[k];
  meta.labels = labels;
  const spec = { ...(job.spec ?? {}) } as Record<string, unknown>;
  delete spec.selector;
  const template = { ...((spec.template as Obj | undefined) ?? {}) };
  const tmeta = { ...(template.metadata ?? {}) };
  const tlabels = { ...((tmeta.labels as Record<string, string> | undefined) ?? {}) };
  for (const k of JOB_LABELS) delete tlabels[k];
  tmeta.labels = tlabels;
  template.metadata = tmeta;
  spec.template = template;
  return { ...job, metadata: meta, spec };
}

/**
 * The action's own environment, kept after a warm-up run, written as the manifests of the kubectl
 * script: setup.json (namespace, quota, limit range, network policy), workloads.json (secret,
 * StatefulSet, Services, Deployment), job.json (the test Job, named `test`).
 */
export async function captureUpManifests(ctx: BenchContext, dir: string): Promise<void> {
  const pr = 99;
  const ns = `pr-${pr}-shop`;
  await registerTestLog(ctx, ns);
  const run = await runActionTimed({ bundle: ctx.bundle, inputs: upInputs(ctx, { 'on-success': 'keep' }), event: pullRequestEvent({ number: pr }), runId: newRunId() });
  if (run.code !== 0) throw new Error(`warm-up up failed: ${run.result?.cause ?? run.stderr}`);
  const nsObj = await ctx.cluster.getJson<Obj>(['get', 'namespace', ns]);
  const items = (await ctx.cluster.getJson<{ items: Obj[] }>(['get', 'resourcequota,limitrange,networkpolicy,secret,statefulset,service,deployment', '-n', ns])).items;
  const job = await ctx.cluster.getJson<Obj>(['get', 'job', run.outputs['job-name'] ?? '', '-n', ns]);
  const list = (objs: Obj[]): string => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs.map(clean) }, null, 1).replaceAll(ns, '__NS__');
  const setupKinds = ['ResourceQuota', 'LimitRange', 'NetworkPolicy'];
  writeFileSync(join(dir, 'setup.json'), list([nsObj, ...items.filter((o) => setupKinds.includes(o.kind ?? ''))]));
  writeFileSync(join(dir, 'workloads.json'), list(items.filter((o) => !setupKinds.includes(o.kind ?? ''))));
  writeFileSync(join(dir, 'job.json'), JSON.stringify(cleanJob(job), null, 1).replaceAll(ns, '__NS__'));
  await ctx.cluster.kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=300s']);
}

export async function upCase(ctx: BenchContext): Promise<CaseResult> {
  const dir = join(ctx.work, 'up-manifests');
  await runTimed('mkdir', ['-p', dir]);
  ctx.log('case 1: capturing the action\'s environment for the kubectl script (warm-up run)');
  await captureUpManifests(ctx, dir);
  const contenders: ContenderName[] = ctx.helm ? ['action', 'kubectl', 'helm'] : ['action', 'kubectl'];
  const toJob: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const main: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const total: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const phases: unknown[] = [];

  for (let r = 0; r < ctx.rounds; r++) {
    for (const who of order(contenders, r)) {
      const pr = 100 + r * 10 + contenders.indexOf(who);
      const ns = who === 'action' ? `pr-${pr}-shop` : `${who === 'kubectl' ? 'kb' : 'hm'}-${pr}-shop`;
      await registerTestLog(ctx, ns);
      if (who === 'action') {
        const runId = newRunId();
        const o = { bundle: ctx.bundle, inputs: upInputs(ctx), event: pullRequestEvent({ number: pr }), runId };
        const m = await runActionTimed({ ...o, marks: { job: /^Created job / } });
        const p = await runActionTimed({ ...o, state: m.state });
        if (m.code !== 0 || p.code !== 0 || m.outputs['test-result'] !== 'passed') throw new Error(`action up round ${r + 1} failed: ${m.result?.cause ?? m.stderr} / post ${p.code}`);
        toJob.action.push(m.marks.job ?? Number.NaN);
        main.action.push(m.durationMs);
        total.action.push(m.durationMs + p.durationMs);
        phases.push({ round: r + 1, phases: m.result?.phases, mainMs: Math.round(m.durationMs), postMs: Math.round(p.durationMs) });
      } else {
        const script = who === 'kubectl' ? [join(REPO_ROOT, 'bench/kubectl/up.sh'), ns, dir] : [join(REPO_ROOT, 'bench/helm/up.sh'), ns, join(REPO_ROOT, 'bench/chart')];
        const run = await runTimed('bash', script, { env: toolEnv(ctx), marks: { job: /^MARK (job-created|deployed)$/, main: /^MARK main-done$/, post: /^MARK post-done$/ } });
        if (run.code !== 0) throw new Error(`${who} up round ${r + 1} failed (${run.code}): ${run.stderr}`);
        toJob[who].push(run.marks.job ?? Number.NaN);
        main[who].push(run.marks.main ?? Number.NaN);
        total[who].push(run.durationMs);
      }
      if (await namespaceExists(ctx, ns)) throw new Error(`${who} left ${ns} behind`);
      await ctx.cluster.unregisterPodLogs(ns);
      await waitGone(ctx, ns);
    }
    ctx.log(`case 1 round ${r + 1}/${ctx.rounds}: to job ${contenders.map((c) => `${c} ${Math.round(toJob[c].at(-1) ?? 0)}`).join(', ')} ms`);
  }
  const row = (metric: string, data: Record<ContenderName, number[]>, how: string) => ({
    metric,
    unit: 'ms' as const,
    action: summarize(data.action),
    kubectl: summarize(data.kubectl),
    ...(ctx.helm ? { helm: summarize(data.helm) } : {}),
    how,
  });
  return {
    id: 'up',
    title: 'up: app + PostgreSQL',
    rows: [
      row('up to the test Job start', toJob, 'action: spawn to "Created job"; kubectl: to `kubectl create` of the Job; helm: `helm install --wait` done (app and database ready)'),
      row('up (main step, test Job run with its log)', main, 'action: main step; kubectl: + `logs -f` and `wait --for=condition=complete`; helm: + `helm test --logs`'),
      row('up + post (namespace deleted and gone)', total, 'action: main + post steps; kubectl: + `delete namespace --wait`; helm: + `helm uninstall --wait` + `delete namespace --wait`'),
    ],
    notes: [
      'The kubectl script applies the objects the action created in a warm-up run (captured with kubectl get, server fields removed), in the same order: namespace setup, wait for the default ServiceAccount, workloads, rollout status of each, the Job.',
      'The action also takes the environment lock (a Lease), checks its permissions (SelfSubjectAccessReviews) and reads the quota usage: work neither yardstick does.',
    ],
    details: { phases },
  };
}
