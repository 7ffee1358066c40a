import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { ActionError, InputError } from '../errors.js';
import { resolveTarget } from '../environment/target.js';
import type { RunContext } from '../context.js';
import { repoLabelValue, slug } from '../environment/naming.js';
import { LABEL, ownershipLabels } from '../environment/ownership.js';
import type { Inputs } from '../inputs.js';
import { createJob, runJob } from '../kube/job-run.js';
import type { Job, KubeObject } from '../kube/types.js';
import type { CommandFn } from './types.js';

/** The server adds 5 random characters to a generateName; names stay within 63. */
const MAX_GENERATE_PREFIX = 58;

/**
 * Pure: `<base>-<run>-<attempt>-`, the generateName of a Job of this run attempt. The API server
 * appends 5 random characters, so two run-job steps of one attempt (or a re-run of the step)
 * never collide with each other, and the name still tells which run made it.
 */
export function jobGenerateName(base: string, ctx: Pick<RunContext, 'runId' | 'runAttempt'>): string {
  const tail = `-${slug(ctx.runId) || '0'}-${slug(ctx.runAttempt) || '1'}-`;
  const head = (slug(base) || 'job').slice(0, Math.max(1, MAX_GENERATE_PREFIX - tail.length)).replace(/-+$/, '') || 'job';
  return `${head}${tail}`;
}

function labelsFor(ctx: RunContext, prNumber: number | undefined): Record<string, string> {
  return {
    ...ownershipLabels({ repository: `${ctx.owner}/${ctx.repo}`, repoLabel: repoLabelValue(ctx.owner, ctx.repo) }, prNumber),
    [LABEL.component]: 'run-job',
  };
}

/**
 * Pure: the single Job of a manifest file. Its namespace is replaced by the target namespace;
 * its name becomes a generateName unique to the run attempt (`<name>-<run>-<attempt>-xxxxx`);
 * a generateName of its own is kept as it is. Our ownership labels are added to the Job.
 */
export function jobFromManifest(text: string, file: string, ctx: RunContext, prNumber: number | undefined): Job {
  let docs: unknown[];
  try {
    docs = loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    throw new InputError(`job: ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (docs.length !== 1) throw new InputError(`job: ${file} must hold exactly one Job document, it holds ${docs.length}`);
  const doc = docs[0] as KubeObject;
  if (typeof doc !== 'object' || Array.isArray(doc) || doc.kind !== 'Job') {
    throw new InputError(`job: ${file} must hold a Job (kind: Job), not ${typeof doc === 'object' && doc && !Array.isArray(doc) ? `kind ${String(doc.kind ?? 'missing')}` : 'a plain value'}`);
  }
  if (doc.apiVersion && doc.apiVersion !== 'batch/v1') throw new InputError(`job: ${file}: apiVersion must be batch/v1, not ${String(doc.apiVersion)}`);
  const meta = { ...(doc.metadata ?? {}) } as Record<string, unknown> & { name?: string; generateName?: string; labels?: Record<string, string> };
  const { name, generateName, namespace: _ns, ...rest } = meta;
  return {
    ...doc,
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...rest,
      generateName: generateName || jobGenerateName(name || 'job', ctx),
      labels: { ...(meta.labels ?? {}), ...labelsFor(ctx, prNumber) },
    },
  } as Job;
}

/**
 * Pure: the Job of `test-image` (+ `test-command` run with `sh -c`, + `test-env`). One attempt,
 * the cluster's own deadline equal to the job timeout; no resources: in a namespace with a
 * quota, the namespace's LimitRange supplies the defaults.
 */
export function jobFromTestImage(inputs: Pick<Inputs, 'test' | 'jobTimeoutMs'>, ctx: RunContext, prNumber: number | undefined): Job {
  const image = inputs.test.image;
  if (!image) throw new InputError('test-image: required for command run-job when job is not set');
  const labels = labelsFor(ctx, prNumber);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { generateName: jobGenerateName('test', ctx), labels } as Job['metadata'],
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil(inputs.jobTimeoutMs / 1000),
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          enableServiceLinks: false,
          containers: [
            {
              name: 'test',
              image,
              ...(inputs.test.command ? { command: ['sh', '-c', inputs.test.command] } : {}),
              ...(inputs.test.env.length ? { env: inputs.test.env.map((e) => ({ name: e.name, value: e.value })) } : {}),
            },
          ],
        },
      },
    },
  };
}

function readJobFile(path: string, ctx: RunContext, prNumber: number | undefined): Job {
  const full = resolve(process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw new InputError(`job: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return jobFromManifest(text, path, ctx, prNumber);
}

/**
 * `command: run-job`: runs one Job in `namespace` and streams its logs. The Job comes from the
 * `job` manifest file or from `test-image`. Fails the step when the Job fails.
 */
export const runJobCommand: CommandFn = async ({ inputs, ctx, kube, log, clock, report, signal }) => {
  // The namespace input, else the PR's own environment (pr-number or the pull_request event).
  const { namespace } = resolveTarget(inputs, ctx);
  report.namespace = namespace;
  const prNumber = inputs.prNumber ?? ctx.eventPrNumber;
  const job = inputs.job ? readJobFile(inputs.job, ctx, prNumber) : jobFromTestImage(inputs, ctx, prNumber);

  if (!inputs.wait && !inputs.dryRun) {
    const created = await createJob({ kube, signal }, job, { namespace });
    const name = created.metadata?.name ?? '';
    report.resource({ kind: 'Job', name, namespace, action: 'created' });
    report.output('job-name', name);
    report.set('job', { name, result: 'created' });
    log.info(`Created job ${name} in namespace ${namespace}; not waiting for it (wait: false)`);
    return;
  }

  const r = await runJob({ kube, log, clock, signal }, job, { namespace, timeoutMs: inputs.jobTimeoutMs, dryRun: inputs.dryRun });
  report.resource({ kind: 'Job', name: r.jobName, namespace, action: inputs.dryRun ? 'would-create' : 'created' });
  report.output('job-name', r.jobName);
  report.output('test-result', r.result);
  if (r.exitCode !== undefined) report.output('test-exit-code', String(r.exitCode));
  report.set('job', {
    name: r.jobName,
    result: r.result,
    exitCode: r.exitCode ?? null,
    reason: r.reason,
    pod: r.podName ?? null,
    durationMs: r.durationMs,
    logLines: r.logLines,
  });
  if (r.result === 'failed') throw new ActionError(r.message, r.evidence);
  log.info(r.message);
};
