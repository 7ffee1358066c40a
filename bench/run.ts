/**
 * npm run bench: the action against kubectl (and Helm) on a control plane of its own, rounds
 * alternated, medians and spreads, ratios. Run by scripts/bench.mjs (which installs, builds and
 * starts what is missing); arguments: --rounds N, --cases up,logs,sweep,requests,cold-start,rollback
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalCluster, REPO_ROOT } from '../test/faults/helpers/local-cluster.ts';
import { DEFAULT_BUNDLE } from './lib/action.ts';
import type { BenchContext, CaseResult } from './lib/context.ts';
import { markdownTable } from './lib/table.ts';

type CaseFn = (ctx: BenchContext) => Promise<CaseResult>;
/** Loaded when selected. */
const CASES: Record<string, () => Promise<CaseFn>> = {
  'cold-start': async () => (await import('./cases/cold-start.ts')).coldStartCase,
  up: async () => (await import('./cases/up.ts')).upCase,
  requests: async () => (await import('./cases/requests.ts')).requestsCase,
  logs: async () => (await import('./cases/logs.ts')).logsCase,
  sweep: async () => (await import('./cases/sweep.ts')).sweepCase,
  rollback: async () => (await import('./cases/rollback.ts')).rollbackCase,
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    cases: { type: 'string', default: Object.keys(CASES).join(',') },
    helm: { type: 'string' },
    out: { type: 'string' },
  },
});

const log = (m: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);
const cluster = new LocalCluster('bench');
cluster.ensureUp();
const env = cluster.env();
const bundle = process.env.KE_BUNDLE ?? DEFAULT_BUNDLE;
const ctx: BenchContext = {
  cluster,
  bundle,
  kubectl: env.KUBECTL ?? 'kubectl',
  helm: values.helm || undefined,
  rounds: Math.max(1, Number(values.rounds)),
  work: mkdtempSync(join(tmpdir(), 'ke-bench-')),
  log,
};
const selected = (values.cases ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const s of selected) if (!CASES[s]) throw new Error(`unknown case '${s}'; cases: ${Object.keys(CASES).join(', ')}`);

const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
};
const startedAt = new Date();
const loadBefore = loadavg();
log(`machine: ${machine.cpus} x ${machine.cpu}, ${machine.memoryGiB} GiB; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
log(`bundle: ${bundle} (${statSync(bundle).size} bytes); kubectl: ${ctx.kubectl}; helm: ${ctx.helm ?? 'not available'}; rounds: ${ctx.rounds}`);

const results: CaseResult[] = [];
const loads: Record<string, number[]> = {};
for (const id of selected) {
  const load = CASES[id];
  if (!load) continue;
  const fn = await load();
  log(`== ${id}`);
  const t0 = Date.now();
  results.push(await fn(ctx));
  loads[id] = loadavg();
  log(`== ${id} done in ${((Date.now() - t0) / 1000).toFixed(0)} s (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
}

const table = markdownTable(results);
console.log(`\n${table}\n`);
for (const c of results) for (const n of c.notes) console.log(`- ${c.title}: ${n}`);
const record = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine, loadBefore, loadAfterCase: loads, rounds: ctx.rounds, bundle: { path: bundle, bytes: statSync(bundle).size }, cases: results, table };
const outDir = join(REPO_ROOT, 'bench/results');
mkdirSync(outDir, { recursive: true });
const file = values.out ?? join(outDir, `${startedAt.toISOString().slice(0, 16).replace(/:/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
log(`written ${file}`);
