#!/usr/bin/env node
// Benchmark: `command: cleanup` sweeping N expired environments, against the yardstick
// `kubectl delete namespace <the N>` (which waits until they are gone), on the same local
// cluster, in the same run, with the same credentials (the restricted kubeconfig).
//
//   node bench/cleanup-sweep.mjs [--count 200] [--rounds 1] [--bundle dist/index.js]
//
// Each round creates N labelled, expired namespaces in bulk (one `kubectl apply`), waits until
// the controllers have filled them (default ServiceAccount, kube-root-ca.crt), then times one
// variant; then the same for the other variant (the order alternates between rounds). Prints a
// table and one JSON line per measurement. Needs the local control plane (npm run cluster -- up).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const count = Number(opt('count', '200'));
const rounds = Number(opt('rounds', '1'));
const bundle = resolve(opt('bundle', process.env.KE_BUNDLE ?? join(root, 'dist/index.js')));

const env = Object.fromEntries(
  readFileSync(join(root, '.cluster/env'), 'utf8')
    .split('\n')
    .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
    .filter(Boolean)
    .map((m) => [m[1], m[2]]),
);
const KUBECTL = env.KUBECTL;
const ADMIN = env.KUBECONFIG_ADMIN;
const RESTRICTED = env.KUBECONFIG_RESTRICTED;

function kubectl(kubeconfig, argv, input) {
  const r = spawnSync(KUBECTL, ['--kubeconfig', kubeconfig, ...argv], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl ${argv.slice(0, 3).join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** N expired environments of a repository of their own; resolves once the controllers filled them. */
async function createEnvironments(tag) {
  const repo = `bench${tag}`;
  const expired = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const names = Array.from({ length: count }, (_, i) => `pr-${i + 1}-${repo}`);
  const yaml = names
    .map(
      (name, i) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/managed-by: kube-ephemeral
    kube-ephemeral.io/repo: acme.${repo}
    kube-ephemeral.io/pr: "${i + 1}"
  annotations:
    kube-ephemeral.io/expires-at: "${expired}"
`,
    )
    .join('---\n');
  const t0 = Date.now();
  kubectl(ADMIN, ['apply', '-f', '-'], yaml);
  const want = new Set(names);
  for (;;) {
    const sas = kubectl(ADMIN, ['get', 'serviceaccounts', '-A', '--field-selector', 'metadata.name=default', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}']);
    const cms = kubectl(ADMIN, ['get', 'configmaps', '-A', '--field-selector', 'metadata.name=kube-root-ca.crt', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}']);
    const ok = (text) => text.split('\n').filter((n) => want.has(n)).length === count;
    if (ok(sas) && ok(cms)) break;
    await sleep(500);
  }
  return { repo, names, createMs: Date.now() - t0 };
}

function remaining(names) {
  const out = kubectl(ADMIN, ['get', 'namespaces', '-o', 'name']);
  const set = new Set(out.split('\n').map((l) => l.replace('namespace/', '')));
  return names.filter((n) => set.has(n)).length;
}

/** The action, as the runner runs it: node <bundle> with INPUT_* and the GitHub files. */
function runSweep(repo) {
  const dir = mkdtempSync(join(tmpdir(), 'ke-bench-'));
  for (const f of ['output', 'state', 'summary']) writeFileSync(join(dir, f), '');
  writeFileSync(join(dir, 'event.json'), '{}');
  const childEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: `acme/${repo}`,
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_EVENT_PATH: join(dir, 'event.json'),
    GITHUB_RUN_ID: '1',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    INPUT_COMMAND: 'cleanup',
    INPUT_KUBECONFIG: readFileSync(RESTRICTED, 'utf8'),
    INPUT_TIMEOUT: '10m',
  };
  return new Promise((res, rej) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [bundle], { env: childEnv, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const ms = Date.now() - t0;
      const outputs = readFileSync(join(dir, 'output'), 'utf8');
      const m = /result<<(\S+)\n([\s\S]*?)\n\1/.exec(outputs);
      const result = m ? JSON.parse(m[2]) : undefined;
      if (code !== 0) rej(new Error(`cleanup exited ${code}:\n${out.slice(-3000)}`));
      else res({ ms, deleted: result?.deleted?.length ?? 0, failed: result?.failed?.length ?? 0, requests: undefined });
    });
  });
}

async function measure(variant, round) {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const { repo, names, createMs } = await createEnvironments(tag);
  let ms;
  let detail = {};
  if (variant === 'action cleanup') {
    const r = await runSweep(repo);
    ms = r.ms;
    detail = { deleted: r.deleted, failed: r.failed };
  } else {
    const t0 = Date.now();
    // kubectl deletes them one request after another, then waits until every one is gone.
    kubectl(RESTRICTED, ['delete', 'namespace', ...names, '--timeout=10m']);
    ms = Date.now() - t0;
  }
  const left = remaining(names);
  const row = { bench: 'cleanup-sweep', variant, round, count, ms, createMs, left, ...detail };
  console.log(JSON.stringify(row));
  if (left) throw new Error(`${variant}: ${left} namespaces are still there`);
  return row;
}

const rows = [];
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 ? ['action cleanup', 'kubectl delete namespace'] : ['kubectl delete namespace', 'action cleanup'];
  for (const v of order) rows.push(await measure(v, round));
}
console.log(`\n${count} expired environments, ${rounds} round(s), bundle ${bundle}`);
console.log('variant                    round   seconds');
for (const r of rows) console.log(`${r.variant.padEnd(26)} ${String(r.round).padStart(5)}   ${(r.ms / 1000).toFixed(1).padStart(7)}`);
