/**
 * Fault 5: bad input. Each case runs the bundled action as the runner does and must fail with
 * exactly one error annotation naming the input and what it accepts, with nothing created,
 * changed or deleted in the cluster: no environment namespace for the PR, the set of namespaces
 * unchanged, and a sentinel namespace (a Deployment, a ConfigMap, a Secret the operations are
 * pointed at) untouched down to the resourceVersions. Then every input in turn receives an
 * injection payload (workflow commands after a newline, shell substitutions): it is refused, no
 * workflow command of the payload reaches the log, no shell ran, no output or env file was written.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseInputs, cleanupNamespaces, cluster, errorLines, freshPr, newNamespace, pullRequestEvent, runAction, type ActionRun } from './helpers/faults.js';

const dir = mkdtempSync(join(tmpdir(), 'ke-faults-input-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
let sentinel = '';
afterAll(async () => {
  await cleanupNamespaces();
  rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  sentinel = await newNamespace('sentinel');
  await cluster.kubectl(['-n', sentinel, 'create', 'deployment', 'web', '--image=ghcr.io/acme/shop:1.0.0', '--replicas=1']);
  await cluster.kubectl(['-n', sentinel, 'create', 'configmap', 'precious', '--from-literal=a=b']);
  await cluster.kubectl(['-n', sentinel, 'create', 'secret', 'generic', 'credentials', '--from-literal=password=hunter2']);
  await cluster.kubectl(['-n', sentinel, 'rollout', 'status', 'deployment/web', '--timeout=60s']);
});

/** What must not change: every namespace's name, and each object of the sentinel with its resourceVersion. */
async function snapshot(): Promise<string> {
  const ns = await cluster.kubectl(['get', 'namespaces', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
  const objs = await cluster.kubectl(['-n', sentinel, 'get', 'deployments,replicasets,configmaps,secrets,services,jobs,leases', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion}{"\\n"}{end}']);
  return `${ns.stdout}\n--\n${objs.stdout}`;
}

/** Runs the action with `inputs` for a fresh PR; asserts the refusal and that nothing changed. */
async function refused(inputs: Record<string, string>, message: RegExp, eventName = 'pull_request'): Promise<ActionRun> {
  const { number, ns } = freshPr();
  const before = await snapshot();
  const event = eventName === 'pull_request' ? pullRequestEvent({ number }) : {};
  const run = await runAction({ inputs: baseInputs(inputs), eventName, event, timeoutMs: 60_000 });
  const errors = errorLines(run);
  expect(run.exitCode, run.stdout.slice(-3000)).toBe(1);
  expect(errors, run.stdout.slice(-3000)).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  // one line: the cause fits a single annotation
  expect(errors[0]?.length ?? 0).toBeLessThan(1000);
  expect(await snapshot()).toBe(before);
  expect(await cluster.kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name'])).toMatchObject({ stdout: '' });
  return run;
}

const deployment = (name: string): string =>
  ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: ${name}`, 'spec:', '  selector: {matchLabels: {app: x}}', '  template:', '    metadata: {labels: {app: x}}', '    spec: {containers: [{name: x, image: ghcr.io/acme/x:1}]}', ''].join('\n');
const configMap = (name: string): string => ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${name}`, 'data: {a: b}', ''].join('\n');

/** The billion laughs: 9 levels of 9 aliases, ~387 M strings once expanded. */
function yamlBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const letters = 'abcdefghi';
  for (let i = 1; i < letters.length; i++) {
    const p = `*${letters[i - 1]}`;
    lines.push(`${letters[i]}: &${letters[i]} [${Array(9).fill(p).join(',')}]`);
  }
  return ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'data:', ...lines.map((l) => `  ${l}`), ''].join('\n');
}

const ops = (command: string, extra: Record<string, string> = {}): Record<string, string> => ({ command, namespace: sentinel, ...extra });

describe('bad inputs are refused before anything in the cluster changes', () => {
  const cases: [string, () => Record<string, string>, RegExp, string?][] = [
    // names
    ['an unknown command', () => ({ command: 'deploy' }), /command: 'deploy' is not accepted; use one of up, down, cleanup, list, status, apply, scale, restart, rollback, run-job/],
    ['a namespace that is not a DNS label', () => ({ namespace: 'Staging_Prod' }), /namespace: 'Staging_Prod'/],
    ['a namespace longer than 63 characters', () => ({ namespace: 'n'.repeat(64) }), /namespace: 'n{64}'/],
    ['the reserved prefix kube', () => ({ 'namespace-prefix': 'kube' }), /namespace-prefix: 'kube' must start with a letter and must not be 'kube'/],
    ['a namespace-prefix too long', () => ({ 'namespace-prefix': 'p'.repeat(30) }), /namespace-prefix: 'p{30}'/],
    ['a deployment name with spaces', () => ops('scale', { deployment: 'Web App', replicas: '2' }), /deployment: 'Web App' is not a valid object name/],
    ['a resource of a kind status does not show', () => ops('status', { resource: 'service/web' }), /resource: 'service\/web' must be kind\/name with kind one of deployment, statefulset, job, pod/],
    ['a negative PR number', () => ({ 'pr-number': '-3' }), /pr-number: '-3' must be a whole number from 1 to 999999999/],
    ['an image reference with spaces', () => ({ 'app-image': 'Acme Shop:latest' }), /app-image: 'Acme Shop:latest' is not an image reference/],
    ['an ingress host that is not a host name', () => ({ 'app-image': 'nginx', 'ingress-host': 'pr_{pr}.example.com/x' }), /ingress-host: 'pr_\{pr\}.example.com\/x' is not a host name/],
    ['a health path without a slash', () => ({ 'app-image': 'nginx', 'app-health-path': 'healthz' }), /app-health-path: 'healthz' must be an HTTP path starting with '\/'/],
    // durations
    ['a ttl in words', () => ({ ttl: '2 hours' }), /ttl: '2 hours' is not a duration; use a number with a unit s, m, h or d/],
    ['a ttl of zero', () => ({ ttl: '0s' }), /ttl: '0s' is out of range/],
    ['a ttl of 400 days', () => ({ ttl: '400d' }), /ttl: '400d' is out of range/],
    ['a timeout of forever', () => ({ timeout: 'forever' }), /timeout: 'forever' is not a duration/],
    ['a negative job-timeout', () => ({ 'job-timeout': '-5m' }), /job-timeout: '-5m' is not a duration/],
    // quotas and counts
    ['a cpu quota in words', () => ({ 'cpu-limit': '1 core' }), /cpu-limit: '1 core' is not a positive Kubernetes quantity/],
    ['a memory quota in GB with a typo', () => ({ 'memory-limit': '1GB' }), /memory-limit: '1GB' is not a positive Kubernetes quantity/],
    ['a negative memory quota', () => ({ 'memory-limit': '-1Gi' }), /memory-limit: '-1Gi' is not a positive Kubernetes quantity/],
    ['a pod limit of zero', () => ({ 'pod-limit': '0' }), /pod-limit: '0' must be a whole number from 1 to 1000/],
    ['a quota too small for the plan', () => ({ 'app-image': 'nginx', database: 'postgresql', 'cpu-limit': '100m' }), /cpu-limit: '100m' is too small/],
    ['1000 app replicas', () => ({ 'app-image': 'nginx', 'app-replicas': '1000' }), /app-replicas: '1000' must be a whole number from 0 to 100/],
    ['app-port 70000', () => ({ 'app-image': 'nginx', 'app-port': '70000' }), /app-port: '70000' must be a whole number from 1 to 65535/],
    ['replicas in words', () => ops('scale', { deployment: 'web', replicas: 'three' }), /replicas: 'three' must be a whole number from 0 to 1000/],
    ['revision 0', () => ops('rollback', { deployment: 'web', revision: '0' }), /revision: '0' must be a whole number from 1/],
    // choices, booleans, lists
    ['an unknown database in a list', () => ({ database: 'postgresql,oracle' }), /database: 'oracle' is not accepted; use one of postgresql, mysql, mongodb, redis, none/],
    ['on-failure destroy', () => ({ 'on-failure': 'destroy' }), /on-failure: 'destroy' is not accepted; use one of delete, keep/],
    ['dry-run yes please', () => ({ 'dry-run': 'yes please' }), /dry-run: 'yes please' is not accepted; use true or false/],
    ['an app-env line that is not KEY=value', () => ({ 'app-image': 'nginx', 'app-env': 'GOOD=1\n1BAD=x' }), /app-env: line 2 is not KEY=value/],
    ['test-env without test-image', () => ({ 'test-env': 'CI=true' }), /test-image: required when test-env is set/],
    ['an images line without =', () => ({ manifests: file('one.yaml', deployment('one')), images: 'ghcr.io/acme/x' }), /images: line 1 must be name=ref/],
    ['images without manifests', () => ({ images: 'ghcr.io/acme/x=ghcr.io/acme/x:2' }), /manifests: required when images is set/],
    ['scale without replicas', () => ops('scale', { deployment: 'web' }), /replicas: required for command scale/],
    ['restart with both deployment and pod', () => ops('restart', { deployment: 'web', pod: 'web-1' }), /restart needs exactly one of deployment .* or pod/],
    // manifests
    ['a manifest file that does not exist', () => ({ manifests: join(dir, 'nope.yaml') }), /manifests: cannot read '.*nope\.yaml' \(ENOENT\)/],
    ['a glob that matches nothing', () => ({ manifests: 'deploy/**/*.yml' }), /manifests: 'deploy\/\*\*\/\*\.yml' matches no file/],
    ['a directory as a manifest', () => ({ manifests: dir }), /manifests: '.*' is a directory; give files or a glob/],
    ['a YAML bomb (billion laughs)', () => ({ manifests: file('bomb.yaml', yamlBomb()) }), /manifests: .*bomb\.yaml document 1 expands to more than 4194304 bytes \(YAML aliases\?\); refused/],
    ['a 5 MiB manifest', () => ({ manifests: file('huge.yaml', `${configMap('huge')}  big: "${'x'.repeat(5 * 1024 * 1024)}"\n`) }), /manifests: '.*huge\.yaml' is \d+ bytes; at most 4194304 per file are accepted/],
    ['a manifest that is not valid YAML', () => ({ manifests: file('broken.yaml', 'kind: Deployment\nmetadata: [name: x\n') }), /manifests: .*broken\.yaml is not valid YAML/],
    ['a YAML scalar instead of an object', () => ({ manifests: file('scalar.yaml', 'just a string\n') }), /manifests: .*scalar\.yaml document 1 is not a Kubernetes object/],
    ['an object without metadata.name', () => ({ manifests: file('noname.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n') }), /manifests: .*noname\.yaml document 1 needs apiVersion, kind and metadata.name/],
    ['an unknown kind among known ones', () => ops('apply', { manifests: file('unknown.yaml', `${configMap('first')}---\napiVersion: acme.example/v1\nkind: Frobnicator\nmetadata: {name: f}\n`) }), /manifests: frobnicator\/f: the API server does not serve acme.example\/v1/],
    ['a namespaced object without any namespace', () => ({ command: 'apply', manifests: file('nons.yaml', configMap('loose')) }), /manifests: configmap\/loose is namespaced but names no namespace/, 'workflow_dispatch'],
    ['apply into a PR environment that does not exist', () => ({ command: 'apply', manifests: file('nopr.yaml', configMap('early')) }), /namespace: 'pr-\d+-shop' does not exist; apply does not create it/],
    ['an operation on a namespace that does not exist', () => ({ command: 'scale', namespace: 'does-not-exist-anywhere', deployment: 'web', replicas: '2' }), /does-not-exist-anywhere/],
    ['a job file holding two documents', () => ops('run-job', { job: file('two.yaml', `${configMap('a')}---\n${configMap('b')}`) }), /job: .*two\.yaml must hold exactly one Job document, it holds 2/],
    ['a job file holding a Deployment', () => ops('run-job', { job: file('deploy-as-job.yaml', deployment('d')) }), /job: .*deploy-as-job\.yaml must hold a Job \(kind: Job\), not kind Deployment/],
    ['a context missing from the kubeconfig', () => ({ context: 'production' }), /context: 'production' is not in the kubeconfig; it has: /],
    ['a kubeconfig that is not one', () => ({ kubeconfig: 'apiVersion: v1\nclusters: 42\n' }), /kubeconfig: /],
  ];
  it.each(cases)('%s', async (_name, inputs, message, eventName) => {
    await refused(inputs(), message, eventName);
  });

  it('the table holds at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
});

describe('injection attempts in every string input', () => {
  const canary = join(dir, 'pwned');
  const payload = (input: string): string =>
    `x\n::warning::INJECTED ${input}\n::set-output name=namespace::kube-system\n$(touch ${canary})\`touch ${canary}\`;touch ${canary}\n%0A::error::ALSO-INJECTED`;
  // Each input with its payload, in a command where that input is read; test-command alone is
  // free text by design (it runs in the test container, never on the runner).
  const targets: [string, () => Record<string, string>][] = [
    ['command', () => ({})],
    ['kubeconfig', () => ({})],
    ['context', () => ({})],
    ['namespace', () => ({})],
    ['namespace-prefix', () => ({})],
    ['pr-number', () => ({})],
    ['ttl', () => ({})],
    ['app-image', () => ({})],
    ['app-port', () => ({ 'app-image': 'nginx' })],
    ['app-replicas', () => ({ 'app-image': 'nginx' })],
    ['app-env', () => ({ 'app-image': 'nginx' })],
    ['app-health-path', () => ({ 'app-image': 'nginx' })],
    ['manifests', () => ({})],
    ['images', () => ({ manifests: file('inj.yaml', deployment('inj')) })],
    ['database', () => ({})],
    ['test-image', () => ({})],
    ['test-env', () => ({ 'test-image': 'local/test:pass' })],
    ['cpu-limit', () => ({})],
    ['memory-limit', () => ({})],
    ['pod-limit', () => ({})],
    ['on-success', () => ({})],
    ['on-failure', () => ({})],
    ['timeout', () => ({})],
    ['job-timeout', () => ({})],
    ['deployment', () => ops('scale', { replicas: '1' })],
    ['pod', () => ops('restart')],
    ['replicas', () => ops('scale', { deployment: 'web' })],
    ['revision', () => ops('rollback', { deployment: 'web' })],
    ['resource', () => ops('status')],
    ['job', () => ops('run-job')],
    ['wait', () => ({})],
    ['force-conflicts', () => ({})],
    ['ingress-host', () => ({ 'app-image': 'nginx' })],
    ['comment', () => ({})],
    ['github-deployment', () => ({})],
    ['dry-run', () => ({})],
  ];
  it.each(targets)('%s', async (input, extra) => {
    const run = await refused({ ...extra(), [input]: payload(input) }, new RegExp(`^::error[^:]*::${input}: `));
    for (const l of run.lines) {
      expect(l).not.toMatch(/^::warning::INJECTED/);
      expect(l).not.toMatch(/^::set-output/);
      expect(l).not.toMatch(/^::error::ALSO-INJECTED/);
    }
    expect(existsSync(canary)).toBe(false);
    expect(Object.keys(run.outputs).filter((k) => !['result', 'namespace'].includes(k))).toEqual([]);
    expect(run.outputs.namespace ?? '').not.toBe('kube-system');
  });

  it('every input of action.yml but test-command and github-token is attacked', async () => {
    const { INPUT_DEFAULTS } = await import('../../src/inputs.js');
    const attacked = new Set(targets.map(([n]) => n));
    const missing = Object.keys(INPUT_DEFAULTS).filter((n) => !attacked.has(n) && n !== 'test-command' && n !== 'github-token');
    expect(missing).toEqual([]);
  });
});

