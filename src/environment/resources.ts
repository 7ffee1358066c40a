import { InputError } from '../errors.js';
import { quantityValue } from '../input-parsers.js';

/**
 * The resource budget: every pod the plan runs at the same time gets the same requests and
 * limits, small enough that all of them together fit under the namespace's ResourceQuota.
 *
 * Rule: pods = databases + app replicas + 1 rollout surge pod (when the app has replicas) + 1
 * test pod. Each pod's limit is quota / pods, rounded down (cpu to 1m, memory to 1Mi), capped at
 * 500m / 512Mi. Below the floor of 50m / 64Mi the environment cannot work: that is an input
 * error, as is a pod-limit below the pod count. Requests are a quarter of the cpu limit and
 * half of the memory limit, so the pods also schedule on small clusters. The LimitRange gives
 * the same values to containers that declare none.
 */

export const POD_CAP = { cpuMilli: 500, memoryMi: 512 } as const;
export const POD_FLOOR = { cpuMilli: 50, memoryMi: 64 } as const;
const MIN_CPU_REQUEST_MILLI = 10;

export interface Quota {
  /** cpu-limit, e.g. `1000m` */
  readonly cpu: string;
  /** memory-limit, e.g. `1Gi` */
  readonly memory: string;
  /** pod-limit */
  readonly pods: number;
}

/** The pods that run at the same time. */
export interface PodCounts {
  readonly databases: number;
  readonly appReplicas: number;
  /** The extra pod of a rolling update (maxSurge 1): 1 when the app has replicas, else 0. */
  readonly appSurge: number;
  /** The test Job's pod: 1 or 0. */
  readonly test: number;
}

export interface ResourceValues {
  readonly cpu: string;
  readonly memory: string;
}

export interface Resources {
  readonly requests: ResourceValues;
  readonly limits: ResourceValues;
}

export interface PodBudget {
  /** The pods counted. */
  readonly pods: number;
  /** What each container gets (every planned pod has one container). */
  readonly perPod: Resources;
  readonly cpuMilli: number;
  readonly memoryMi: number;
}

export function totalPods(c: PodCounts): number {
  return c.databases + c.appReplicas + c.appSurge + c.test;
}

export function describePods(c: PodCounts): string {
  const parts: string[] = [];
  const n = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
  if (c.databases) parts.push(n(c.databases, 'database', 'databases'));
  if (c.appReplicas) parts.push(n(c.appReplicas, 'app replica', 'app replicas'));
  if (c.appSurge) parts.push(n(c.appSurge, 'rollout surge pod', 'rollout surge pods'));
  if (c.test) parts.push('1 test pod');
  const total = totalPods(c);
  return `${n(total, 'pod', 'pods')} at once${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function milliCpu(input: string, q: string): number {
  const v = quantityValue(q);
  if (v === undefined || v <= 0) throw new InputError(`${input}: '${q}' is not a positive Kubernetes quantity; use e.g. 500m, 1, 2000m`);
  return Math.floor(v * 1000 + 1e-6);
}

function mebibytes(input: string, q: string): number {
  const v = quantityValue(q);
  if (v === undefined || v <= 0) throw new InputError(`${input}: '${q}' is not a positive Kubernetes quantity; use e.g. 512Mi, 1Gi, 2G`);
  return Math.floor(v / 2 ** 20 + 1e-9);
}

export function formatCpu(milli: number): string {
  return `${milli}m`;
}

export function formatMemory(mi: number): string {
  return `${mi}Mi`;
}

/**
 * The per-pod budget. With `enforce` (an ephemeral namespace, whose quota we create) a quota that
 * cannot hold the pods is an InputError naming cpu-limit / memory-limit / pod-limit and what the
 * plan needs; without it (a long-lived namespace: no quota of ours) the floor is used instead.
 */
export function podBudget(quota: Quota, counts: PodCounts, enforce = true): PodBudget {
  const pods = totalPods(counts);
  const share = Math.max(pods, 1);
  const cpuTotal = milliCpu('cpu-limit', quota.cpu);
  const memTotal = mebibytes('memory-limit', quota.memory);
  const cpuMilli = Math.min(POD_CAP.cpuMilli, Math.floor(cpuTotal / share));
  const memoryMi = Math.min(POD_CAP.memoryMi, Math.floor(memTotal / share));

  const problems: string[] = [];
  if (pods > quota.pods) problems.push(`pod-limit: ${quota.pods} is too small; set it to at least ${pods}`);
  if (cpuMilli < POD_FLOOR.cpuMilli) {
    problems.push(`cpu-limit: '${quota.cpu}' is too small; each pod needs at least ${formatCpu(POD_FLOOR.cpuMilli)}, so set it to at least ${formatCpu(POD_FLOOR.cpuMilli * share)}`);
  }
  if (memoryMi < POD_FLOOR.memoryMi) {
    problems.push(`memory-limit: '${quota.memory}' is too small; each pod needs at least ${formatMemory(POD_FLOOR.memoryMi)}, so set it to at least ${formatMemory(POD_FLOOR.memoryMi * share)}`);
  }
  if (enforce && problems.length) {
    throw new InputError(`${problems.join('; ')} (the environment runs ${describePods(counts)})`);
  }
  return budgetOf(pods, Math.max(cpuMilli, POD_FLOOR.cpuMilli), Math.max(memoryMi, POD_FLOOR.memoryMi));
}

function budgetOf(pods: number, cpuMilli: number, memoryMi: number): PodBudget {
  const cpuRequest = Math.min(cpuMilli, Math.max(MIN_CPU_REQUEST_MILLI, Math.floor(cpuMilli / 4)));
  const memRequest = Math.max(1, Math.floor(memoryMi / 2));
  return {
    pods,
    cpuMilli,
    memoryMi,
    perPod: {
      requests: { cpu: formatCpu(cpuRequest), memory: formatMemory(memRequest) },
      limits: { cpu: formatCpu(cpuMilli), memory: formatMemory(memoryMi) },
    },
  };
}
