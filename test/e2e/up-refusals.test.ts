import { afterAll, describe, expect, it } from 'vitest';
import { deleteNamespaces, exists, kubectl, restrictedKubeconfig, uniqueName } from './helpers/cluster.js';
import { pullRequestEvent, runAction } from './helpers/run-action.js';

let nextPr = 900_000 + Math.floor(Math.random() * 90_000);
const created: string[] = [];
afterAll(async () => deleteNamespaces(...created));

describe('up refuses bad input before anything in the cluster changes', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['test-command without test-image', { 'test-command': 'npm test' }, /test-image: required when test-command is set/],
    ['an unknown database', { database: 'oracle' }, /database: 'oracle' is not accepted; use one of postgresql, mysql, mongodb, redis, none/],
    ['a malformed ttl', { ttl: '2 hours' }, /ttl: '2 hours' is not a duration/],
    ['app-port 0', { 'app-image': 'nginx', 'app-port': '0' }, /app-port: '0' must be a whole number from 1 to 65535/],
    ['a cpu quota Kubernetes rejects', { 'cpu-limit': '1 core' }, /cpu-limit: '1 core' is not a positive Kubernetes quantity/],
    ['a memory quota Kubernetes rejects', { 'memory-limit': '1GB' }, /memory-limit: '1GB' is not a positive Kubernetes quantity/],
    ['a quota too small for the plan', { 'app-image': 'nginx', database: 'postgresql', 'test-image': 'local/test:pass', 'cpu-limit': '100m' }, /cpu-limit: '100m' is too small/],
    ['an unreadable manifest', { manifests: 'deploy/does-not-exist.yaml' }, /manifests: cannot read 'deploy\/does-not-exist.yaml' \(ENOENT\)/],
    ['a manifest that is not YAML', { manifests: 'package.json\n.gitignore' }, /manifests: .* (needs apiVersion, kind and metadata.name|is not valid YAML|is not a Kubernetes object)/],
  ])('%s', async (_name, inputs, message) => {
    const number = nextPr++;
    const run = await runAction({ inputs: { kubeconfig: restrictedKubeconfig(), ...inputs }, event: pullRequestEvent({ number }) });
    expect(run.exitCode).toBe(1);
    const errors = run.lines.filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(await exists(['namespace', `pr-${number}-shop`])).toBe(false);
  });

  it('no PR number outside a pull_request event', async () => {
    const run = await runAction({ inputs: { kubeconfig: restrictedKubeconfig() }, eventName: 'schedule', event: {} });
    expect(run.exitCode).toBe(1);
    expect(run.lines.find((l) => l.startsWith('::error'))).toMatch(/pr-number: required when the event is 'schedule'/);
  });
});

describe('a namespace that is not ours is never touched', () => {
  it('up and down leave an unlabelled namespace with our name alone', async () => {
    const number = nextPr++;
    const ns = `pr-${number}-shop`;
    created.push(ns);
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['create', 'configmap', 'precious', '-n', ns, '--from-literal=a=b']);
    const up = await runAction({ inputs: { kubeconfig: restrictedKubeconfig(), 'app-image': 'nginx' }, event: pullRequestEvent({ number }) });
    expect(up.exitCode).toBe(1);
    expect(up.lines.find((l) => l.startsWith('::error'))).toMatch(new RegExp(`namespace ${ns} already exists and is not this environment's: it lacks the label app.kubernetes.io/managed-by=kube-ephemeral`));
    const down = await runAction({ inputs: { kubeconfig: restrictedKubeconfig(), command: 'down' }, event: pullRequestEvent({ number }) });
    expect(down.exitCode).toBe(1);
    expect(down.lines.find((l) => l.startsWith('::error'))).toMatch(new RegExp(`namespace ${ns} was left alone`));
    expect(await exists(['configmap', 'precious', '-n', ns])).toBe(true);
    expect(await exists(['deployment', 'app', '-n', ns])).toBe(false);
  });

  it('a long-lived namespace must exist already', async () => {
    const ns = uniqueName('missing');
    const run = await runAction({ inputs: { kubeconfig: restrictedKubeconfig(), namespace: ns, 'app-image': 'nginx' }, event: pullRequestEvent({ number: 5 }) });
    expect(run.exitCode).toBe(1);
    expect(run.lines.find((l) => l.startsWith('::error'))).toMatch(new RegExp(`namespace: '${ns}' does not exist`));
    expect(await exists(['namespace', ns])).toBe(false);
  });
});
