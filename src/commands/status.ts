import { ActionError } from '../errors.js';
import { neutralizeCommands, withSafeOutput } from '../github/safe-output.js';
import type { ResourceArg } from '../inputs.js';
import { isNotFound } from '../kube/errors.js';
import type { Kube } from '../kube/http.js';
import { decidingPod, logTail, podSelector } from '../kube/job-run.js';
import { readNamespace } from '../kube/namespace.js';
import { isControlledBy, selectorString } from '../kube/rollout.js';
import type { Deployment, Job, KubeEvent, KubeObject, List, Pod, ReplicaSet, ResourceQuota, StatefulSet } from '../kube/types.js';
import type { Snapshot } from '../kube/workloads.js';
import { addSummarySection, heading, htmlPre, htmlTable, requireNamespace } from './ops-common.js';
import {
  conditionRows,
  deploymentRow,
  environmentFacts,
  expiryOf,
  jobRow,
  podRow,
  quotaRows,
  relatedEventLines,
  rowLine,
  statefulSetRow,
  type WorkloadRow,
} from './status-view.js';
import type { CommandDeps, CommandFn } from './types.js';

const LOG_LINES = 20;

interface ContainerLog {
  readonly pod: string;
  readonly container: string;
  readonly previous: boolean;
  readonly lines: readonly string[];
}

async function list<T>(deps: CommandDeps, path: string, query: Record<string, string> = {}): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const page = await deps.kube.request<List<T>>({ method: 'GET', path, query: { ...query, limit: 500, ...(cont ? { continue: cont } : {}) }, signal: deps.signal });
    out.push(...page.items);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return out;
}

async function get<T>(kube: Kube, path: string, what: string, ns: string, signal: AbortSignal): Promise<T> {
  try {
    return await kube.request<T>({ method: 'GET', path, signal });
  } catch (err) {
    if (isNotFound(err)) throw new ActionError(`${what} not found in namespace ${ns}`);
    throw err;
  }
}

const apps = (ns: string, r: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${r}`;
const core = (ns: string, r: string): string => `/api/v1/namespaces/${encodeURIComponent(ns)}/${r}`;
const batch = (ns: string, r: string): string => `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/${r}`;

/**
 * `command: status`: with `resource`, one object's readiness, conditions, recent events and (jobs,
 * pods) the last log lines; without, the whole environment: workloads, quota, expiry. Read only.
 */
export const status: CommandFn = async (deps) => {
  const ns = requireNamespace(deps.inputs, deps.ctx);
  deps.report.namespace = ns;
  deps.report.output('namespace', ns);
  if (deps.inputs.resource) await resourceStatus(deps, ns, deps.inputs.resource);
  else await environmentStatus(deps, ns);
};

async function environmentStatus(deps: CommandDeps, ns: string): Promise<void> {
  const { kube, log, report, signal, clock } = deps;
  const nsObj = await readNamespace(kube, ns, signal);
  if (!nsObj) throw new ActionError(`namespace ${ns} does not exist`);
  const [deployments, statefulSets, replicaSets, pods, jobs, quotas, events] = await Promise.all([
    list<Deployment>(deps, apps(ns, 'deployments')),
    list<StatefulSet>(deps, apps(ns, 'statefulsets')),
    list<ReplicaSet>(deps, apps(ns, 'replicasets')),
    list<Pod>(deps, core(ns, 'pods')),
    list<Job>(deps, batch(ns, 'jobs')),
    list<ResourceQuota>(deps, core(ns, 'resourcequotas')),
    list<KubeEvent>(deps, core(ns, 'events'), { fieldSelector: 'type=Warning' }),
  ]);
  const s = snapshot(deployments, statefulSets, replicaSets, pods, events);
  const rows: WorkloadRow[] = [
    ...deployments.map((d) => deploymentRow(d, s)),
    ...statefulSets.map((st) => statefulSetRow(st, s)),
    ...jobs.map((j) => jobRow(j, pods.filter((p) => isControlledBy(p, j)))),
  ];
  const quota = quotaRows(quotas);
  const expiry = expiryOf(nsObj, clock.now());
  const facts = environmentFacts(nsObj);

  log.info(`namespace ${ns}: ${facts.phase}; expires ${expiry.text}${facts.repository ? `; repository ${facts.repository}` : ''}${facts.pr ? `; PR ${facts.pr}` : ''}`);
  log.info(rows.length ? `${rows.length} workload(s):` : 'no workloads');
  for (const r of rows) log.info(neutralizeCommands(`  ${rowLine(r)}`));
  for (const q of quota) log.info(`  quota ${q.quota}: ${q.resource} ${q.used} of ${q.hard}`);
  const notReady = rows.filter((r) => r.state !== 'ready' && r.state !== 'succeeded');
  log.info(notReady.length ? `${notReady.length} workload(s) not ready` : 'every workload is ready');

  report.set('environment', {
    namespace: ns,
    ...facts,
    expiresAt: expiry.expiresAt,
    expired: expiry.expired,
    ready: notReady.length === 0,
    workloads: rows,
    quota,
  });
  addSummarySection(
    report,
    heading(`Environment ${ns}`) +
      htmlTable(['', ''], [
        ['Phase', facts.phase],
        ['Expires', expiry.expiresAt ? `${expiry.expiresAt} (${expiry.text})` : expiry.text],
        ...(facts.repository ? [['Repository', facts.repository]] : []),
        ...(facts.pr ? [['PR', facts.pr]] : []),
      ]) +
      heading('Workloads') +
      htmlTable(['Kind', 'Name', 'Ready', 'State', 'Message'], rows.map((r) => [r.kind, r.name, r.ready, r.state, r.message])) +
      (quota.length ? heading('Quota') + htmlTable(['Quota', 'Resource', 'Used', 'Hard'], quota.map((q) => [q.quota, q.resource, q.used, q.hard])) : ''),
  );
}

function snapshot(d: Deployment[], st: StatefulSet[], rs: ReplicaSet[], pods: Pod[], events: KubeEvent[]): Snapshot {
  return {
    deployments: new Map(d.map((x) => [x.metadata?.name ?? '', x])),
    statefulSets: new Map(st.map((x) => [x.metadata?.name ?? '', x])),
    replicaSets: rs,
    pods,
    events,
  };
}

async function resourceStatus(deps: CommandDeps, ns: string, r: ResourceArg): Promise<void> {
  const { kube, signal } = deps;
  const what = `${r.kind}/${r.name}`;
  let row: WorkloadRow;
  let obj: KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
  let pods: Pod[] = [];
  let related: KubeObject[] = [];
  let logsFrom: Pod[] = [];
  const events = await list<KubeEvent>(deps, core(ns, 'events'));
  const warnings = events.filter((e) => e.type === 'Warning');
  if (r.kind === 'deployment') {
    const d = await get<Deployment>(kube, `${apps(ns, 'deployments')}/${encodeURIComponent(r.name)}`, what, ns, signal);
    const sel = selectorString(d.spec?.selector);
    const rs = (await list<ReplicaSet>(deps, apps(ns, 'replicasets'), { labelSelector: sel })).filter((x) => isControlledBy(x, d));
    const rsUids = new Set(rs.map((x) => x.metadata?.uid ?? ''));
    pods = (await list<Pod>(deps, core(ns, 'pods'), { labelSelector: sel })).filter((p) => (p.metadata?.ownerReferences ?? []).some((o) => rsUids.has(o.uid)));
    row = deploymentRow(d, snapshot([d], [], rs, pods, warnings));
    obj = d;
    related = rs;
  } else if (r.kind === 'statefulset') {
    const st = await get<StatefulSet>(kube, `${apps(ns, 'statefulsets')}/${encodeURIComponent(r.name)}`, what, ns, signal);
    pods = (await list<Pod>(deps, core(ns, 'pods'), { labelSelector: selectorString(st.spec?.selector) })).filter((p) => isControlledBy(p, st));
    row = statefulSetRow(st, snapshot([], [st], [], pods, warnings));
    obj = st;
  } else if (r.kind === 'job') {
    const job = await get<Job>(kube, `${batch(ns, 'jobs')}/${encodeURIComponent(r.name)}`, what, ns, signal);
    pods = (await list<Pod>(deps, core(ns, 'pods'), { labelSelector: podSelector(job) })).filter((p) => isControlledBy(p, job));
    row = jobRow(job, pods);
    obj = job;
    const out = row.state === 'succeeded' ? true : row.state === 'failed' ? false : undefined;
    const pod = decidingPod(pods, out);
    logsFrom = pod ? [pod] : [];
  } else {
    const pod = await get<Pod>(kube, `${core(ns, 'pods')}/${encodeURIComponent(r.name)}`, what, ns, signal);
    row = podRow(pod);
    obj = pod;
    logsFrom = [pod];
  }

  const uids = new Set([obj, ...related, ...pods].map((o) => o.metadata?.uid ?? '').filter(Boolean));
  const names = new Set([obj, ...related, ...pods].map((o) => `${o.kind ?? kindOf(r)}/${o.metadata?.name ?? ''}`));
  const eventList = relatedEventLines(events, uids, names);
  const conditions = conditionRows((obj as { status?: { conditions?: Parameters<typeof conditionRows>[0] } }).status?.conditions);
  const podRows = r.kind === 'pod' ? [] : pods.map(podRow);
  const logs = await readLogs(deps, ns, logsFrom);
  print(deps, what, row, conditions, podRows, eventList);
  await printLogs(deps, logs);

  deps.report.set('resource', {
    resource: what,
    kind: row.kind,
    name: row.name,
    ready: row.state === 'ready' || row.state === 'succeeded',
    readiness: row.ready,
    state: row.state,
    message: row.message,
    conditions,
    ...(r.kind === 'pod' ? {} : { pods: podRows }),
    events: eventList,
    ...(r.kind === 'job' || r.kind === 'pod' ? { logs } : {}),
  });
  addSummarySection(
    deps.report,
    heading(`${what}: ${row.state}`) +
      htmlTable(['Ready', 'State', 'Message'], [[row.ready, row.state, row.message]]) +
      (conditions.length ? heading('Conditions') + htmlTable(['Type', 'Status', 'Reason', 'Message'], conditions.map((c) => [c.type, c.status, c.reason, c.message])) : '') +
      (podRows.length ? heading('Pods') + htmlTable(['Pod', 'Ready', 'State', 'Message'], podRows.map((p) => [p.name, p.ready, p.state, p.message])) : '') +
      (eventList.length ? heading('Recent events') + htmlPre(eventList) : '') +
      logs.map((l) => heading(`Last log lines of pod/${l.pod} (${l.container}${l.previous ? ', previous run' : ''})`) + htmlPre(l.lines)).join(''),
  );
}

const kindOf = (r: ResourceArg): string => ({ deployment: 'Deployment', statefulset: 'StatefulSet', job: 'Job', pod: 'Pod' })[r.kind];

/** The last lines of every container that has run (the previous run of a crash-looping one). */
async function readLogs(deps: CommandDeps, ns: string, pods: readonly Pod[]): Promise<ContainerLog[]> {
  const out: ContainerLog[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const cs of statuses) {
      const ran = cs.state?.running || cs.state?.terminated || (cs.restartCount ?? 0) > 0;
      if (!ran) continue;
      const previous = !!cs.state?.waiting && (cs.restartCount ?? 0) > 0;
      const lines = await logTail(deps.kube, ns, name, cs.name, previous, deps.signal, LOG_LINES).catch(() => [] as string[]);
      out.push({ pod: name, container: cs.name, previous, lines });
    }
  }
  return out;
}

function print(deps: CommandDeps, what: string, row: WorkloadRow, conditions: ReturnType<typeof conditionRows>, pods: WorkloadRow[], events: readonly string[]): void {
  const { log } = deps;
  log.info(neutralizeCommands(`${what}: ${row.state} (${row.ready} ready)${row.message ? ` — ${row.message}` : ''}`));
  if (conditions.length) log.info('Conditions:');
  for (const c of conditions) log.info(neutralizeCommands(`  ${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`));
  if (pods.length) log.info('Pods:');
  for (const p of pods) log.info(neutralizeCommands(`  ${rowLine(p)}`));
  log.info(events.length ? 'Recent events:' : 'No recent events');
  for (const e of events) log.info(`  ${neutralizeCommands(e)}`);
}

/** Pod log lines are untrusted: printed inside a stop-commands section, so they cannot act as workflow commands. */
export async function printLogs(deps: CommandDeps, logs: readonly ContainerLog[]): Promise<void> {
  if (!logs.length) return;
  await withSafeOutput(deps.log, async (section) => {
    for (const l of logs) {
      section.note(`── last ${l.lines.length} log line(s) of pod/${l.pod} (${l.container}${l.previous ? ', previous run' : ''}) ──`);
      section.lines(l.lines);
    }
  });
}
