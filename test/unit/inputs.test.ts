import { describe, expect, it } from 'vitest';
import { parseInputs, type InputName } from '../../src/inputs.js';

const from = (values: Partial<Record<InputName, string>>) => (name: InputName) => values[name] ?? '';

describe('parseInputs', () => {
  it('gives the documented defaults', () => {
    const i = parseInputs(from({}));
    expect(i.command).toBe('up');
    expect(i.namespacePrefix).toBe('pr');
    expect(i.ttlMs).toBe(3_600_000);
    expect(i.app.port).toBe(8000);
    expect(i.quota).toEqual({ cpu: '1000m', memory: '1Gi', pods: 10 });
    expect(i.onSuccess).toBe('delete');
    expect(i.timeoutMs).toBe(300_000);
    expect(i.jobTimeoutMs).toBe(1_800_000);
    expect(i.databases).toEqual([]);
    expect(i.comment).toBe(true);
    expect(i.dryRun).toBe(false);
  });

  it('parses a database list', () => {
    expect(parseInputs(from({ database: 'postgresql, redis,postgresql' })).databases).toEqual(['postgresql', 'redis']);
  });

  it.each<[Partial<Record<InputName, string>>, RegExp]>([
    [{ command: 'deploy' }, /^command: 'deploy' is not accepted; use one of up, down, cleanup, list, status, apply, scale, restart, rollback, run-job$/],
    [{ database: 'oracle' }, /^database: 'oracle' is not accepted; use one of postgresql, mysql, mongodb, redis, none$/],
    [{ ttl: 'soon' }, /^ttl: 'soon' is not a duration/],
    [{ 'app-port': '0' }, /^app-port: '0' must be a whole number from 1 to 65535$/],
    [{ 'cpu-limit': 'lots' }, /^cpu-limit: 'lots' is not a positive Kubernetes quantity/],
    [{ 'memory-limit': '1 GB' }, /^memory-limit: /],
    [{ 'pod-limit': '-1' }, /^pod-limit: /],
    [{ 'test-command': 'npm test' }, /^test-image: required when test-command is set/],
    [{ 'on-failure': 'destroy' }, /^on-failure: 'destroy' is not accepted; use one of delete, keep$/],
    [{ namespace: 'Bad_NS' }, /^namespace: 'Bad_NS' is not a valid name/],
    [{ 'namespace-prefix': 'kube' }, /^namespace-prefix: /],
    [{ 'pr-number': 'abc' }, /^pr-number: /],
    [{ 'dry-run': 'yes' }, /^dry-run: 'yes' is not accepted; use true or false$/],
    [{ command: 'scale', deployment: 'web' }, /^replicas: required for command scale/],
    [{ command: 'restart' }, /^restart needs exactly one of deployment/],
    [{ command: 'rollback' }, /^deployment: required for command rollback/],
    [{ command: 'apply' }, /^manifests: required for command apply/],
    [{ command: 'run-job' }, /^run-job needs job/],
    [{ command: 'status', resource: 'service/web' }, /^resource: 'service\/web' must be kind\/name/],
    [{ images: 'web=web:2' }, /^manifests: required when images is set/],
  ])('rejects %j', (values, message) => {
    expect(() => parseInputs(from(values))).toThrow(message);
  });
});
