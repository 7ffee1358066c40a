import { neutralizeCommands } from '../github/safe-output.js';
import { eventLines } from './diagnosis.js';
import type { Kube } from './http.js';
import { LineSplitter } from './log-resume.js';
import type { KubeEvent, List, Pod } from './types.js';

/** Thin I/O for a failed Job: its events and the last lines of a container's log. */

export interface EvidenceOptions {
  readonly pod: string | undefined;
  readonly container: string | undefined;
  readonly previous: boolean;
  readonly readLog: boolean;
}

/** Thin I/O, best effort: events of the Job and its pods, and the log tail when it was not streamed. */
export async function collectEvidence(kube: Kube, ns: string, uid: string, pods: readonly Pod[], signal: AbortSignal, o: EvidenceOptions): Promise<string[]> {
  const lines: string[] = [];
  try {
    const uids = new Set([uid, ...pods.map((p) => p.metadata?.uid ?? '')]);
    const all = await kube.request<List<KubeEvent>>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, signal });
    const related = all.items.filter((e) => uids.has(e.involvedObject?.uid ?? ''));
    if (related.length) lines.push('Events:', ...eventLines(related));
  } catch {
    // The one-line cause stands on its own.
  }
  if (o.readLog && o.pod && o.container) {
    const tail = await logTail(kube, ns, o.pod, o.container, o.previous, signal).catch(() => []);
    if (tail.length) lines.push(`Last log lines of pod ${o.pod} (${o.container}${o.previous ? ', previous run' : ''}):`, ...tail.map((l) => `  ${l}`));
  }
  return lines.map(neutralizeCommands);
}

/** The last lines of a container's log, as text (never parsed as JSON). */
export async function logTail(kube: Kube, ns: string, pod: string, container: string, previous: boolean, signal: AbortSignal, lines = 20): Promise<string[]> {
  const res = await kube.open({
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log`,
    query: { container, tailLines: lines, limitBytes: 64 * 1024, ...(previous ? { previous: true } : {}) },
    signal,
  });
  const splitter = new LineSplitter();
  const out: string[] = [];
  res.setEncoding('utf8');
  await new Promise<void>((resolve) => {
    res.on('data', (c: string) => out.push(...splitter.push(c)));
    res.on('end', () => resolve());
    res.on('error', () => resolve());
    res.on('close', () => resolve());
  });
  const rest = splitter.flush();
  if (rest !== undefined) out.push(rest);
  return out.slice(-lines);
}
