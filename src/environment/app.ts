import type { EnvVar } from '../input-parsers.js';
import type { KubeObject } from '../kube/types.js';
import { mergeEnv, type EnvEntry } from './env.js';
import { fillServiceSelector, fillWorkload, mainContainer, listEntry, selectorLabels, specOf, stamp } from './fill.js';
import type { Resources } from './resources.js';
import { templateObject, type Templates } from './templates.js';

/** The application (Deployment + Service `app`), its Ingress, and the test Job. Pure. */

export const APP_NAME = 'app';

export interface AppSpec {
  readonly image: string;
  readonly port: number;
  readonly replicas: number;
  readonly env: readonly EnvVar[];
  readonly healthPath: string | undefined;
}

export interface WorkloadContext {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly resources: Resources;
  /** Database env, before the user's. */
  readonly env: readonly EnvEntry[];
}

/** The labels that select the app's pods (Deployment, Service, NetworkPolicy). */
export function appSelector(): Record<string, string> {
  return selectorLabels(APP_NAME);
}

export function appObjects(templates: Templates, app: AppSpec, ctx: WorkloadContext): KubeObject[] {
  const deployment = stamp(templateObject(templates, 'app', 'Deployment'), ctx.namespace, ctx.labels);
  specOf(deployment)['replicas'] = app.replicas;
  fillWorkload(deployment, ctx.labels, appSelector(), ctx.resources);
  const c = mainContainer(deployment);
  c.image = app.image;
  listEntry(c['ports'], 0, 'app.yaml Deployment ports')['containerPort'] = app.port;
  c['env'] = mergeEnv(ctx.env, app.env);
  c['readinessProbe'] = {
    ...(app.healthPath ? { httpGet: { path: app.healthPath, port: 'http' } } : { tcpSocket: { port: 'http' } }),
    periodSeconds: 2,
    timeoutSeconds: 3,
    failureThreshold: 3,
  };

  const service = stamp(templateObject(templates, 'app', 'Service'), ctx.namespace, ctx.labels);
  fillServiceSelector(service, appSelector());
  listEntry(specOf(service)['ports'], 0, 'app.yaml Service ports')['port'] = app.port;
  return [deployment, service];
}

export function ingressObject(templates: Templates, host: string, port: number, namespace: string, labels: Readonly<Record<string, string>>): KubeObject {
  const ingress = stamp(templateObject(templates, 'ingress', 'Ingress'), namespace, labels);
  const ingressRules = specOf(ingress)['rules'];
  const rule = listEntry(ingressRules, 0, 'ingress.yaml rules');
  rule['host'] = host;
  const http = rule['http'] as { paths?: { backend?: { service?: { port?: { number?: number } } } }[] } | undefined;
  const servicePort = http?.paths?.[0]?.backend?.service?.port;
  if (!servicePort) throw new Error('template ingress.yaml: no rules[0].http.paths[0].backend.service.port');
  servicePort.number = port;
  return ingress;
}

export interface TestSpec {
  readonly image: string;
  readonly command: string | undefined;
  readonly env: readonly EnvVar[];
  readonly jobName: string;
  readonly activeDeadlineSeconds: number;
}

export function testJobObject(templates: Templates, test: TestSpec, ctx: WorkloadContext): KubeObject {
  const job = templateObject(templates, 'test-job', 'Job');
  job.metadata = { ...job.metadata, name: test.jobName };
  stamp(job, ctx.namespace, ctx.labels);
  specOf(job)['activeDeadlineSeconds'] = test.activeDeadlineSeconds;
  // The Job controller makes its own selector; only the pod labels are ours.
  fillWorkload(job, ctx.labels, undefined, ctx.resources);
  const c = mainContainer(job);
  c.image = test.image;
  if (test.command) c['command'] = ['sh', '-c', test.command];
  else delete c['command'];
  c['env'] = mergeEnv(ctx.env, test.env);
  return job;
}
