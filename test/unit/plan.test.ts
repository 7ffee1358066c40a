import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { quantityValue } from '../../src/input-parsers.js';
import { DATABASES, type Database } from '../../src/inputs.js';
import type { Container, KubeObject, PodTemplate } from '../../src/kube/types.js';
import { ENGINES } from '../../src/environment/databases.js';
import { buildPlan, planObjects, type PlanConfig } from '../../src/environment/plan.js';
import { readTemplates } from '../../src/environment/templates.js';

const templates = readTemplates();
const PASSWORDS: Record<Database, string> = {
  postgresql: 'pg-Secret-1111',
  mysql: 'my-Secret-2222',
  mongodb: 'mo/Secret+3333',
  redis: 'rd-Secret-4444',
};

function config(over: Partial<PlanConfig> = {}): PlanConfig {
  return {
    namespace: 'pr-7-shop',
    mode: 'ephemeral',
    owner: { repository: 'acme/shop', repoLabel: 'acme.shop' },
    prNumber: 7,
    headSha: '0123456789abcdef0123456789abcdef01234567',
    runUrl: 'https://github.com/acme/shop/actions/runs/42',
    expiresAt: '2026-11-23T11:00:00Z',
    ttl: '1h',
    quota: { cpu: '1000m', memory: '1Gi', pods: 10 },
    databases: ['postgresql'],
    passwords: PASSWORDS,
    app: { image: 'ghcr.io/acme/shop:sha-1', port: 8000, replicas: 1, env: [], healthPath: undefined },
    ingressHost: undefined,
    test: { image: 'ghcr.io/acme/shop-tests:sha-1', command: 'pytest -q', env: [], jobName: 'test-42-1', activeDeadlineSeconds: 1800 },
    ...over,
  };
}

const ids = (objs: readonly KubeObject[]): string[] => objs.map((o) => `${o.kind}/${o.metadata?.name}`);
const find = (objs: readonly KubeObject[], kind: string, name: string): KubeObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind}/${name} not planned`);
  return o;
};
const spec = (o: KubeObject): Record<string, unknown> => o['spec'] as Record<string, unknown>;
const podTemplate = (o: KubeObject): PodTemplate => spec(o)['template'] as PodTemplate;
const containers = (o: KubeObject): Container[] => podTemplate(o).spec?.containers ?? [];
type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
const envOf = (o: KubeObject): Env[] => (containers(o)[0]?.['env'] ?? []) as Env[];
const decode = (secret: KubeObject): Record<string, string> =>
  Object.fromEntries(Object.entries(secret['data'] as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

describe('which objects are planned', () => {
  it.each([
    {
      name: 'ephemeral: namespace, fences, database, app, test',
      cfg: config(),
      namespace: 'Namespace/pr-7-shop',
      setup: ['LimitRange/container-defaults', 'ResourceQuota/environment-quota', 'NetworkPolicy/allow-same-namespace'],
      databases: ['Secret/postgresql-credentials', 'StatefulSet/postgresql', 'Service/postgresql'],
      app: ['Deployment/app', 'Service/app'],
    },
    {
      name: 'long-lived: the namespace is not ours, so no Namespace, LimitRange, ResourceQuota or NetworkPolicy',
      cfg: config({ mode: 'long-lived', namespace: 'staging', ingressHost: 'staging.example.com' }),
      namespace: undefined,
      setup: [],
      databases: ['Secret/postgresql-credentials', 'StatefulSet/postgresql', 'Service/postgresql'],
      app: ['Deployment/app', 'Service/app', 'Ingress/app'],
    },
    {
      name: 'ingress host: an Ingress and a policy that lets the ingress controller reach the app port',
      cfg: config({ databases: [], ingressHost: 'pr-7.preview.example.com' }),
      namespace: 'Namespace/pr-7-shop',
      setup: ['LimitRange/container-defaults', 'ResourceQuota/environment-quota', 'NetworkPolicy/allow-same-namespace', 'NetworkPolicy/allow-ingress-to-app'],
      databases: [],
      app: ['Deployment/app', 'Service/app', 'Ingress/app'],
    },
    {
      name: 'no app: databases and test only; an ingress host alone makes no Ingress',
      cfg: config({ app: undefined, databases: ['redis', 'mysql'], ingressHost: 'x.example.com' }),
      namespace: 'Namespace/pr-7-shop',
      setup: ['LimitRange/container-defaults', 'ResourceQuota/environment-quota', 'NetworkPolicy/allow-same-namespace'],
      databases: ['Secret/redis-credentials', 'StatefulSet/redis', 'Service/redis', 'Secret/mysql-credentials', 'StatefulSet/mysql', 'Service/mysql'],
      app: [],
    },
  ])('$name', ({ cfg, namespace, setup, databases, app }) => {
    const plan = buildPlan(cfg, templates);
    expect(plan.namespace ? ids([plan.namespace])[0] : undefined).toBe(namespace);
    expect(ids(plan.setup)).toEqual(setup);
    expect(ids(plan.databases)).toEqual(databases);
    expect(ids(plan.app)).toEqual(app);
    expect(plan.testJob?.metadata?.name).toBe('test-42-1');
  });

  it('applies the LimitRange before the ResourceQuota, both before any workload', () => {
    const kinds = planObjects(buildPlan(config(), templates)).map((o) => o.kind);
    expect(kinds[0]).toBe('Namespace');
    expect(kinds.indexOf('LimitRange')).toBeLessThan(kinds.indexOf('ResourceQuota'));
    expect(kinds.indexOf('ResourceQuota')).toBeLessThan(kinds.indexOf('StatefulSet'));
    expect(kinds.indexOf('ResourceQuota')).toBeLessThan(kinds.indexOf('Deployment'));
    expect(kinds.at(-1)).toBe('Job');
  });

  it('waits for the databases, then the app', () => {
    expect(buildPlan(config({ databases: ['mysql', 'redis'] }), templates).waitFor).toEqual([
      { kind: 'StatefulSet', name: 'mysql' },
      { kind: 'StatefulSet', name: 'redis' },
      { kind: 'Deployment', name: 'app' },
    ]);
    expect(buildPlan(config({ app: undefined, databases: [] }), templates).waitFor).toEqual([]);
  });
});

describe('every object is marked as ours and is fit to apply', () => {
  const plans = [
    buildPlan(config({ databases: [...DATABASES], ingressHost: 'pr-7.example.com' }), templates),
    buildPlan(config({ mode: 'long-lived', namespace: 'staging', prNumber: undefined, databases: ['mongodb'] }), templates),
  ];
  it.each(plans.flatMap((p) => planObjects(p)).map((o) => ({ id: `${o.kind}/${o.metadata?.name} in ${o.metadata?.namespace ?? o.metadata?.name}`, o })))('$id', ({ o }) => {
    const labels = o.metadata?.labels ?? {};
    expect(labels['app.kubernetes.io/managed-by']).toBe('kube-ephemeral');
    expect(labels['kube-ephemeral.io/repo']).toBe('acme.shop');
    expect(labels['app.kubernetes.io/name']).toBeTruthy();
    expect(labels['app.kubernetes.io/component']).toBeTruthy();
    if (o.kind !== 'Namespace') expect(o.metadata?.namespace).toMatch(/^(pr-7-shop|staging)$/);
    const json = JSON.stringify(o);
    expect(json).not.toMatch(/"(status|managedFields|resourceVersion|uid|creationTimestamp)"/);
    expect(json).not.toContain('filled-by-plan');
    expect(JSON.parse(json)).toEqual(o);
    if ((o['spec'] as Record<string, unknown> | undefined)?.['template']) {
      // pods carry the ownership labels too, and the workload selects exactly its pods
      const podLabels = podTemplate(o).metadata?.labels ?? {};
      expect(podLabels['app.kubernetes.io/managed-by']).toBe('kube-ephemeral');
      expect(podLabels['kube-ephemeral.io/repo']).toBe('acme.shop');
      const selector = (spec(o)['selector'] as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
      for (const [k, v] of Object.entries(selector)) expect(podLabels[k]).toBe(v);
      for (const c of containers(o)) {
        expect(c['resources']).toMatchObject({ limits: { cpu: expect.any(String), memory: expect.any(String) } });
        // Pod Security baseline
        expect(JSON.stringify(c)).not.toMatch(/privileged|hostPath|hostNetwork|hostPID|"add"/);
      }
    }
  });

  it('the PR label is there when there is a PR', () => {
    const plan = buildPlan(config(), templates);
    for (const o of planObjects(plan)) expect(o.metadata?.labels?.['kube-ephemeral.io/pr']).toBe('7');
  });

  it('the namespace says whose it is, what it runs, when it expires, and enforces Pod Security baseline', () => {
    const ns = buildPlan(config(), templates).namespace;
    expect(ns?.metadata?.labels).toMatchObject({
      'kube-ephemeral.io/head-sha': '0123456789abcdef0123456789abcdef01234567',
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    expect(ns?.metadata?.annotations).toEqual({
      'kube-ephemeral.io/repository': 'acme/shop',
      'kube-ephemeral.io/expires-at': '2026-11-23T11:00:00Z',
      'kube-ephemeral.io/ttl': '1h',
      'kube-ephemeral.io/run-url': 'https://github.com/acme/shop/actions/runs/42',
    });
  });
});

describe('databases', () => {
  it.each(DATABASES.map((db) => ({ db })))('$db: Secret, one-replica StatefulSet on an emptyDir with an engine readiness probe, ClusterIP Service', ({ db }) => {
    const plan = buildPlan(config({ databases: [db] }), templates);
    const secret = decode(find(plan.databases, 'Secret', `${db}-credentials`));
    expect(secret['password']).toBe(PASSWORDS[db]);
    expect(secret['url']).toContain(encodeURIComponent(PASSWORDS[db]));
    expect(secret['host']).toBe(db);
    expect(secret['port']).toBe(String(ENGINES[db].port));

    const sts = find(plan.databases, 'StatefulSet', db);
    expect(spec(sts)['replicas']).toBe(1);
    const c = containers(sts)[0];
    expect(c?.image).toBe({ postgresql: 'postgres:15', mysql: 'mysql:8.0', mongodb: 'mongo:7', redis: 'redis:7' }[db]);
    const probe = JSON.stringify(c?.['readinessProbe']);
    expect(probe).toMatch({ postgresql: /pg_isready/, mysql: /mysqladmin ping/, mongodb: /mongosh.*ping/, redis: /redis-cli.*ping/ }[db]);
    const volumes = podTemplate(sts).spec?.['volumes'] as { name: string; emptyDir?: object }[];
    const mounts = c?.['volumeMounts'] as { name: string; mountPath: string }[];
    expect(volumes).toEqual([{ name: 'data', emptyDir: {} }]);
    expect(mounts[0]?.mountPath).toBe({ postgresql: '/var/lib/postgresql/data', mysql: '/var/lib/mysql', mongodb: '/data/db', redis: '/data' }[db]);
    expect(JSON.stringify(sts)).not.toContain(PASSWORDS[db]);

    const svc = find(plan.databases, 'Service', db);
    expect(spec(svc)['type']).toBe('ClusterIP');
    expect((spec(svc)['ports'] as { port: number }[])[0]?.port).toBe(ENGINES[db].port);
    expect((c?.['ports'] as { containerPort: number }[])[0]?.containerPort).toBe(ENGINES[db].port);
    expect(spec(svc)['selector']).toEqual((spec(sts)['selector'] as { matchLabels: object }).matchLabels);
  });

  const usual: Record<Database, string[]> = {
    postgresql: ['POSTGRES_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'],
    mysql: ['MYSQL_URL', 'MYSQL_HOST', 'MYSQL_PORT', 'MYSQL_USER', 'MYSQL_PASSWORD', 'MYSQL_DATABASE'],
    mongodb: ['MONGODB_URL', 'MONGODB_URI'],
    redis: ['REDIS_URL', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD'],
  };

  it.each([
    { dbs: ['postgresql'] as Database[] },
    { dbs: ['mysql', 'redis'] as Database[] },
    { dbs: ['mongodb', 'postgresql', 'mysql', 'redis'] as Database[] },
  ])('the app and the test Job get the settings of $dbs from the Secrets, never a literal password', ({ dbs }) => {
    const plan = buildPlan(config({ databases: dbs }), templates);
    const secrets = new Map(plan.databases.filter((o) => o.kind === 'Secret').map((s) => [s.metadata?.name, decode(s)]));
    for (const workload of [find(plan.app, 'Deployment', 'app'), plan.testJob as KubeObject]) {
      const env = envOf(workload);
      const names = env.map((e) => e.name);
      expect(names[0]).toBe('DATABASE_URL');
      expect(env[0]?.valueFrom?.secretKeyRef).toEqual({ name: `${dbs[0]}-credentials`, key: 'url' });
      for (const db of dbs) expect(names).toEqual(expect.arrayContaining(usual[db]));
      expect(new Set(names).size).toBe(names.length);
      for (const e of env) {
        if (/URL|URI|PASSWORD/.test(e.name)) expect(e.valueFrom?.secretKeyRef).toBeDefined();
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) expect(secrets.get(ref.name)?.[ref.key]).toBeDefined();
      }
      const json = JSON.stringify(workload);
      for (const db of dbs) {
        expect(json).not.toContain(PASSWORDS[db]);
        expect(json).not.toContain(encodeURIComponent(PASSWORDS[db]));
      }
    }
  });

  it('app-env and test-env come after and override by name', () => {
    const plan = buildPlan(
      config({
        app: { image: 'web:1', port: 8000, replicas: 1, env: [{ name: 'PGHOST', value: 'elsewhere' }, { name: 'A', value: '1' }, { name: 'A', value: '2' }], healthPath: undefined },
        test: { image: 't:1', command: undefined, env: [{ name: 'DATABASE_URL', value: 'sqlite://' }], jobName: 'test-1-1', activeDeadlineSeconds: 60 },
      }),
      templates,
    );
    const appEnv = envOf(find(plan.app, 'Deployment', 'app'));
    expect(appEnv.filter((e) => e.name === 'PGHOST')).toEqual([{ name: 'PGHOST', value: 'elsewhere' }]);
    expect(appEnv.slice(-2)).toEqual([{ name: 'PGHOST', value: 'elsewhere' }, { name: 'A', value: '2' }]);
    const testEnv = envOf(plan.testJob as KubeObject);
    expect(testEnv.filter((e) => e.name === 'DATABASE_URL')).toEqual([{ name: 'DATABASE_URL', value: 'sqlite://' }]);
  });

  it('outputs the first database URL with its password, in-cluster, and lists every secret to mask', () => {
    const plan = buildPlan(config({ databases: ['mongodb', 'redis'] }), templates);
    const pw = encodeURIComponent(PASSWORDS.mongodb);
    expect(plan.databaseUrl).toBe(`mongodb://app:${pw}@mongodb.pr-7-shop.svc.cluster.local:27017/app?authSource=admin`);
    expect(plan.secrets).toEqual(expect.arrayContaining([PASSWORDS.mongodb, PASSWORDS.redis, pw, plan.databaseUrl]));
    expect(buildPlan(config({ databases: [] }), templates).databaseUrl).toBeUndefined();
  });

  it('warns when a database gets less memory than it usually needs', () => {
    expect(buildPlan(config({ databases: ['mysql'] }), templates).warnings).toEqual([expect.stringMatching(/^mysql: each pod gets 256Mi .*raise memory-limit/)]);
    expect(buildPlan(config({ databases: ['postgresql'] }), templates).warnings).toEqual([]);
  });
});

describe('app', () => {
  it.each([
    { healthPath: '/healthz', probe: { httpGet: { path: '/healthz', port: 'http' } } },
    { healthPath: undefined, probe: { tcpSocket: { port: 'http' } } },
  ])('Deployment and Service on app-port; readiness $healthPath', ({ healthPath, probe }) => {
    const plan = buildPlan(config({ app: { image: 'web:2', port: 3000, replicas: 3, env: [], healthPath } }), templates);
    const d = find(plan.app, 'Deployment', 'app');
    expect(spec(d)).toMatchObject({ replicas: 3, revisionHistoryLimit: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    const c = containers(d)[0];
    expect(c?.image).toBe('web:2');
    expect(c?.['ports']).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(c?.['readinessProbe']).toMatchObject(probe);
    const svc = find(plan.app, 'Service', 'app');
    expect(spec(svc)['ports']).toEqual([{ name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' }]);
    expect(spec(svc)['selector']).toEqual((spec(d)['selector'] as { matchLabels: object }).matchLabels);
    expect(plan.appUrl).toBe('http://app.pr-7-shop.svc.cluster.local:3000');
  });

  it('Ingress: host, path / Prefix to service app:port; app-url is https://<host>', () => {
    const plan = buildPlan(config({ ingressHost: 'pr-7.preview.example.com' }), templates);
    expect(spec(find(plan.app, 'Ingress', 'app'))['rules']).toEqual([
      { host: 'pr-7.preview.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 8000 } } } }] } },
    ]);
    expect(plan.appUrl).toBe('https://pr-7.preview.example.com');
  });
});

describe('network policy', () => {
  it('admits ingress only from pods of the namespace, and the `from` is really in the object sent', () => {
    const plan = buildPlan(config(), templates);
    const np = JSON.parse(JSON.stringify(find(plan.setup, 'NetworkPolicy', 'allow-same-namespace'))) as KubeObject;
    expect(spec(np)).toEqual({ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] });
  });

  it('with an ingress host, also opens the app port of the app pods, nothing else', () => {
    const plan = buildPlan(config({ ingressHost: 'pr-7.example.com', app: { image: 'w:1', port: 8080, replicas: 1, env: [], healthPath: undefined } }), templates);
    const np = find(plan.setup, 'NetworkPolicy', 'allow-ingress-to-app');
    const appPods = podTemplate(find(plan.app, 'Deployment', 'app')).metadata?.labels ?? {};
    const selector = (spec(np)['podSelector'] as { matchLabels: Record<string, string> }).matchLabels;
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(selector)) expect(appPods[k]).toBe(v);
    for (const db of buildPlan(config({ ingressHost: 'pr-7.example.com' }), templates).databases.filter((o) => o.kind === 'StatefulSet')) {
      const dbPods = podTemplate(db).metadata?.labels ?? {};
      expect(Object.entries(selector).every(([k, v]) => dbPods[k] === v)).toBe(false);
    }
    expect(spec(np)['ingress']).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
  });
});

describe('resources within the quota', () => {
  const limitsOf = (o: KubeObject): { cpu: number; memory: number } =>
    containers(o).reduce(
      (sum, c) => {
        const l = (c['resources'] as { limits: { cpu: string; memory: string } }).limits;
        return { cpu: sum.cpu + (quantityValue(l.cpu) ?? Infinity), memory: sum.memory + (quantityValue(l.memory) ?? Infinity) };
      },
      { cpu: 0, memory: 0 },
    );

  it.each([
    { quota: { cpu: '1000m', memory: '1Gi', pods: 10 }, databases: ['postgresql'] as Database[], replicas: 1 },
    { quota: { cpu: '1000m', memory: '1Gi', pods: 10 }, databases: [...DATABASES], replicas: 2 },
    { quota: { cpu: '2', memory: '2Gi', pods: 10 }, databases: ['mysql', 'redis'] as Database[], replicas: 3 },
    { quota: { cpu: '750m', memory: '900Mi', pods: 6 }, databases: ['mongodb'] as Database[], replicas: 3 },
    { quota: { cpu: '16', memory: '64Gi', pods: 50 }, databases: [] as Database[], replicas: 5 },
    { quota: { cpu: '500m', memory: '512Mi', pods: 5 }, databases: ['redis'] as Database[], replicas: 0 },
  ])('$quota.cpu / $quota.memory / $quota.pods pods: $databases, $replicas replicas (+1 surge), test', ({ quota, databases, replicas }) => {
    const plan = buildPlan(config({ quota, databases, app: { image: 'w:1', port: 80, replicas, env: [], healthPath: undefined } }), templates);
    const dep = find(plan.app, 'Deployment', 'app');
    const pods: KubeObject[] = [
      ...plan.databases.filter((o) => o.kind === 'StatefulSet'),
      ...Array.from({ length: replicas > 0 ? replicas + 1 : 0 }, () => dep),
      plan.testJob as KubeObject,
    ];
    const total = pods.map(limitsOf).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }));
    expect(total.cpu).toBeLessThanOrEqual((quantityValue(quota.cpu) ?? 0) + 1e-9);
    expect(total.memory).toBeLessThanOrEqual(quantityValue(quota.memory) ?? 0);
    expect(pods.length).toBeLessThanOrEqual(quota.pods);
    // the quota object says the same, and LimitRange defaults are the per-pod budget
    expect(spec(find(plan.setup, 'ResourceQuota', 'environment-quota'))['hard']).toEqual({
      'limits.cpu': quota.cpu,
      'limits.memory': quota.memory,
      'requests.cpu': quota.cpu,
      'requests.memory': quota.memory,
      pods: String(quota.pods),
    });
    const item = (spec(find(plan.setup, 'LimitRange', 'container-defaults'))['limits'] as Record<string, unknown>[])[0];
    expect(item).toEqual({ type: 'Container', default: plan.budget.perPod.limits, defaultRequest: plan.budget.perPod.requests });
    expect(containers(dep)[0]?.['resources']).toEqual(plan.budget.perPod);
  });

  it.each([
    { quota: { cpu: '100m', memory: '1Gi', pods: 10 }, input: /cpu-limit: '100m' is too small.*at least 200m/ },
    { quota: { cpu: '1', memory: '200Mi', pods: 10 }, input: /memory-limit: '200Mi' is too small.*at least 256Mi/ },
    { quota: { cpu: '1', memory: '1Gi', pods: 3 }, input: /pod-limit: 3 is too small; set it to at least 4/ },
  ])('a quota too small for the plan is an input error: $input', ({ quota, input }) => {
    expect(() => buildPlan(config({ quota }), templates)).toThrow(InputError);
    expect(() => buildPlan(config({ quota }), templates)).toThrow(input);
  });

  it('a long-lived namespace has no quota of ours: nothing to exceed', () => {
    expect(() => buildPlan(config({ mode: 'long-lived', namespace: 'staging', quota: { cpu: '1000m', memory: '1Gi', pods: 1 } }), templates)).not.toThrow();
  });
});

describe('test Job', () => {
  it.each([
    { command: 'pytest -q', expected: ['sh', '-c', 'pytest -q'] },
    { command: undefined, expected: undefined },
  ])('one attempt, never restarted, kept after it ends; command $command', ({ command, expected }) => {
    const plan = buildPlan(config({ test: { image: 'ghcr.io/acme/tests:9', command, env: [{ name: 'CI', value: 'true' }], jobName: 'test-777-2', activeDeadlineSeconds: 900 } }), templates);
    const job = plan.testJob as KubeObject;
    expect(job.metadata?.name).toBe('test-777-2');
    expect(spec(job)['backoffLimit']).toBe(0);
    expect(spec(job)['activeDeadlineSeconds']).toBe(900);
    expect(spec(job)).not.toHaveProperty('ttlSecondsAfterFinished');
    expect(spec(job)).not.toHaveProperty('selector');
    expect(podTemplate(job).spec?.['restartPolicy']).toBe('Never');
    const c = containers(job)[0];
    expect(c?.name).toBe('test');
    expect(c?.image).toBe('ghcr.io/acme/tests:9');
    expect(c?.['command']).toEqual(expected);
    expect(envOf(job).at(-1)).toEqual({ name: 'CI', value: 'true' });
    expect(podTemplate(job).metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kube-ephemeral', 'kube-ephemeral.io/repo': 'acme.shop', 'kube-ephemeral.io/pr': '7' });
  });

  it('no test image, no Job', () => {
    expect(buildPlan(config({ test: undefined }), templates).testJob).toBeUndefined();
  });
});

describe('purity', () => {
  it('the same config gives the same plan, and filling does not change the templates', () => {
    const before = JSON.stringify(templates);
    const a = buildPlan(config({ databases: [...DATABASES], ingressHost: 'h.example.com' }), templates);
    const b = buildPlan(config({ databases: [...DATABASES], ingressHost: 'h.example.com' }), templates);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(templates)).toBe(before);
  });

  it('a database without a password is a programming error', () => {
    expect(() => buildPlan(config({ passwords: {} }), templates)).toThrow(/no password for postgresql/);
  });
});
