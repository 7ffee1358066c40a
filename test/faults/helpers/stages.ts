/**
 * Extra kwok Stages for the fault tests and the benchmarks, added at run time (kwok runs with
 * --enable-crds=Stage): pods whose first container runs `local/app:slow-ready` become Running and
 * Ready only after a delay (10 s, or the annotation kube-ephemeral.test/ready-after) — kwok's own
 * pod-ready stage with a delay and an image selector — so that a rollout can be waited for.
 *
 * No relative imports (plain Node 24 runs this file too).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { LocalCluster } from './local-cluster.ts';

export const SLOW_READY_IMAGE = 'local/app:slow-ready';
export const READY_AFTER_ANNOTATION = 'kube-ephemeral.test/ready-after';

interface Stage {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    selector?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] };
    weight?: number;
    delay?: Record<string, unknown>;
    [k: string]: unknown;
  };
}

/** Applies the slow-ready Stage (idempotent), derived from kwok's generated pod-ready stage. */
export async function installSlowReadyStage(cluster: LocalCluster, defaultMs = 10_000): Promise<void> {
  const docs = loadAll(readFileSync(join(cluster.dir, 'etc/kwok-default-stages.yaml'), 'utf8')) as (Stage | null)[];
  const podReady = docs.find((d) => d?.kind === 'Stage' && d.metadata.name === 'pod-ready');
  if (!podReady) throw new Error(`no pod-ready stage in ${cluster.dir}/etc/kwok-default-stages.yaml`);
  const stage: Stage = structuredClone(podReady);
  stage.metadata = { name: 'kube-ephemeral-slow-ready', labels: { 'app.kubernetes.io/part-of': 'kube-ephemeral-test-cluster' } };
  stage.spec.selector = {
    matchExpressions: [...(stage.spec.selector?.matchExpressions ?? []), { key: '.spec.containers[0].image', operator: 'In', values: [SLOW_READY_IMAGE] }],
  };
  stage.spec.weight = 100;
  stage.spec.delay = { durationMilliseconds: defaultMs, durationFrom: { jq: { expression: `.metadata.annotations["${READY_AFTER_ANNOTATION}"]` } } };
  await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(stage) });
  // kwok picks Stages up through its informer: give it a moment to load the new one.
  await new Promise((r) => setTimeout(r, 1500));
}
