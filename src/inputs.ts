import * as core from '@actions/core';
import { InputError } from './errors.js';
import {
  parseBoolean,
  parseChoice,
  parseDnsLabel,
  parseDuration,
  parseEnvLines,
  parseHostTemplate,
  parseHttpPath,
  parseImage,
  parseImageLines,
  parseInteger,
  parseList,
  parseObjectName,
  parseQuantity,
  type EnvVar,
  type ImageSubstitution,
} from './input-parsers.js';

export const COMMANDS = ['up', 'down', 'cleanup', 'list', 'status', 'apply', 'scale', 'restart', 'rollback', 'run-job'] as const;
export type Command = (typeof COMMANDS)[number];
export const DATABASES = ['postgresql', 'mysql', 'mongodb', 'redis'] as const;
export type Database = (typeof DATABASES)[number];
export const POST_ACTIONS = ['delete', 'keep'] as const;
export type PostAction = (typeof POST_ACTIONS)[number];
export const RESOURCE_KINDS = ['deployment', 'statefulset', 'job', 'pod'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export interface ResourceArg {
  readonly kind: ResourceKind;
  readonly name: string;
}

/** Every input, parsed and validated. Only this module reads `core.getInput`. */
export interface Inputs {
  readonly command: Command;
  readonly kubeconfig: string;
  readonly context: string;
  /** Explicit namespace; for `up` a long-lived target that is never deleted. */
  readonly namespace: string | undefined;
  readonly namespacePrefix: string;
  readonly prNumber: number | undefined;
  readonly ttlMs: number;
  readonly app: {
    readonly image: string | undefined;
    readonly port: number;
    readonly replicas: number;
    readonly env: readonly EnvVar[];
    readonly healthPath: string | undefined;
  };
  readonly manifests: readonly string[];
  readonly images: readonly ImageSubstitution[];
  readonly databases: readonly Database[];
  readonly test: {
    readonly image: string | undefined;
    readonly command: string | undefined;
    readonly env: readonly EnvVar[];
  };
  readonly quota: { readonly cpu: string; readonly memory: string; readonly pods: number };
  readonly onSuccess: PostAction;
  readonly onFailure: PostAction;
  readonly timeoutMs: number;
  readonly jobTimeoutMs: number;
  readonly deployment: string | undefined;
  readonly pod: string | undefined;
  readonly replicas: number | undefined;
  readonly revision: number | undefined;
  readonly resource: ResourceArg | undefined;
  readonly job: string | undefined;
  readonly wait: boolean;
  readonly forceConflicts: boolean;
  readonly ingressHost: string | undefined;
  readonly comment: boolean;
  readonly githubDeployment: boolean;
  readonly dryRun: boolean;
  readonly githubToken: string;
}

/** Names and defaults; action.yml declares the same (a unit test keeps them in step). */
export const INPUT_DEFAULTS = {
  command: 'up',
  kubeconfig: '',
  context: '',
  namespace: '',
  'namespace-prefix': 'pr',
  'pr-number': '',
  ttl: '1h',
  'app-image': '',
  'app-port': '8000',
  'app-replicas': '1',
  'app-env': '',
  'app-health-path': '',
  manifests: '',
  images: '',
  database: 'none',
  'test-image': '',
  'test-command': '',
  'test-env': '',
  'cpu-limit': '1000m',
  'memory-limit': '1Gi',
  'pod-limit': '10',
  'on-success': 'delete',
  'on-failure': 'delete',
  timeout: '5m',
  'job-timeout': '30m',
  deployment: '',
  pod: '',
  replicas: '',
  revision: '',
  resource: '',
  job: '',
  wait: 'true',
  'force-conflicts': 'false',
  'ingress-host': '',
  comment: 'true',
  'github-deployment': 'true',
  'dry-run': 'false',
  'github-token': '',
} as const;

export type InputName = keyof typeof INPUT_DEFAULTS;
export type GetInput = (name: InputName) => string;

const MINUTE = 60_000;
const DAY = 86_400_000;

function optional<T>(raw: string, parse: (v: string) => T): T | undefined {
  return raw.trim() === '' ? undefined : parse(raw);
}

/** Parses and validates every input; throws InputError naming the first bad one. Pure. */
export function parseInputs(getRaw: GetInput): Inputs {
  const get = (name: InputName): string => {
    const v = getRaw(name);
    return v.trim() === '' ? INPUT_DEFAULTS[name] : v;
  };
  const command = parseChoice('command', get('command'), COMMANDS);
  const databasesRaw = parseList(get('database')).filter((d) => d !== 'none');
  const databases = [...new Set(databasesRaw.map((d) => parseChoice('database', d, [...DATABASES, 'none'] as const)))].filter(
    (d): d is Database => d !== 'none',
  );
  const resource = optional(get('resource'), parseResource);
  const inputs: Inputs = {
    command,
    kubeconfig: getRaw('kubeconfig'),
    context: get('context').trim(),
    namespace: optional(get('namespace'), (v) => parseDnsLabel('namespace', v)),
    namespacePrefix: parsePrefix(get('namespace-prefix')),
    prNumber: optional(get('pr-number'), (v) => parseInteger('pr-number', v, 1, 999_999_999)),
    ttlMs: parseDuration('ttl', get('ttl'), MINUTE, 90 * DAY),
    app: {
      image: optional(get('app-image'), (v) => parseImage('app-image', v)),
      port: parseInteger('app-port', get('app-port'), 1, 65535),
      replicas: parseInteger('app-replicas', get('app-replicas'), 0, 100),
      env: parseEnvLines('app-env', get('app-env')),
      healthPath: optional(get('app-health-path'), (v) => parseHttpPath('app-health-path', v)),
    },
    manifests: parseList(get('manifests')),
    images: parseImageLines('images', get('images')),
    databases,
    test: {
      image: optional(get('test-image'), (v) => parseImage('test-image', v)),
      command: optional(getRaw('test-command'), (v) => v.trim()),
      env: parseEnvLines('test-env', get('test-env')),
    },
    quota: {
      cpu: parseQuantity('cpu-limit', get('cpu-limit'), '500m, 1, 2000m'),
      memory: parseQuantity('memory-limit', get('memory-limit'), '512Mi, 1Gi, 2G'),
      pods: parseInteger('pod-limit', get('pod-limit'), 1, 1000),
    },
    onSuccess: parseChoice('on-success', get('on-success'), POST_ACTIONS),
    onFailure: parseChoice('on-failure', get('on-failure'), POST_ACTIONS),
    timeoutMs: parseDuration('timeout', get('timeout'), 1000, DAY),
    jobTimeoutMs: parseDuration('job-timeout', get('job-timeout'), 1000, DAY),
    deployment: optional(get('deployment'), (v) => parseObjectName('deployment', v)),
    pod: optional(get('pod'), (v) => parseObjectName('pod', v)),
    replicas: optional(get('replicas'), (v) => parseInteger('replicas', v, 0, 1000)),
    revision: optional(get('revision'), (v) => parseInteger('revision', v, 1, 2 ** 31 - 1)),
    resource,
    job: optional(get('job'), (v) => v.trim()),
    wait: parseBoolean('wait', get('wait')),
    forceConflicts: parseBoolean('force-conflicts', get('force-conflicts')),
    ingressHost: optional(get('ingress-host'), (v) => parseHostTemplate('ingress-host', v)),
    comment: parseBoolean('comment', get('comment')),
    githubDeployment: parseBoolean('github-deployment', get('github-deployment')),
    dryRun: parseBoolean('dry-run', get('dry-run')),
    githubToken: getRaw('github-token').trim(),
  };
  requireForCommand(inputs);
  return inputs;
}

function parsePrefix(v: string): string {
  const p = parseDnsLabel('namespace-prefix', v, 20);
  if (!/^[a-z]/.test(p) || p === 'kube' || p.startsWith('kube-')) {
    throw new InputError(`namespace-prefix: '${v}' must start with a letter and must not be 'kube' or start with 'kube-' (reserved)`);
  }
  return p;
}

const KIND_ALIASES: Record<string, ResourceKind> = {
  deployment: 'deployment',
  deploy: 'deployment',
  deployments: 'deployment',
  statefulset: 'statefulset',
  sts: 'statefulset',
  statefulsets: 'statefulset',
  job: 'job',
  jobs: 'job',
  pod: 'pod',
  po: 'pod',
  pods: 'pod',
};

function parseResource(v: string): ResourceArg {
  const [kind, name, ...rest] = v.trim().split('/');
  const k = KIND_ALIASES[(kind ?? '').toLowerCase()];
  if (!k || !name || rest.length) {
    throw new InputError(`resource: '${v}' must be kind/name with kind one of ${RESOURCE_KINDS.join(', ')}, e.g. deployment/web`);
  }
  return { kind: k, name: parseObjectName('resource', name) };
}

/** What each command cannot do without. */
function requireForCommand(i: Inputs): void {
  const need = (ok: boolean, msg: string): void => {
    if (!ok) throw new InputError(msg);
  };
  switch (i.command) {
    case 'up':
      need(!(i.test.command && !i.test.image), 'test-image: required when test-command is set (the image the command runs in)');
      need(!(i.test.env.length && !i.test.image), 'test-image: required when test-env is set');
      need(!(i.images.length && !i.manifests.length), 'manifests: required when images is set (images substitutes images in those manifests)');
      break;
    case 'scale':
      need(!!i.deployment, 'deployment: required for command scale (the Deployment to scale)');
      need(i.replicas !== undefined, 'replicas: required for command scale (a whole number, 0 allowed)');
      break;
    case 'restart':
      need(!!i.deployment !== !!i.pod, 'restart needs exactly one of deployment (rolling restart) or pod (delete and wait for its replacement)');
      break;
    case 'rollback':
      need(!!i.deployment, 'deployment: required for command rollback');
      break;
    case 'apply':
      need(i.manifests.length > 0, 'manifests: required for command apply (paths or globs of YAML files)');
      break;
    case 'run-job':
      need(!!i.job || !!i.test.image, 'run-job needs job (a Job manifest file) or test-image (+ test-command)');
      need(!(i.job && i.test.image), 'run-job takes either job or test-image, not both');
      need(!(i.test.command && !i.test.image && !i.job), 'test-image: required when test-command is set');
      break;
    default:
      break;
  }
}

/** Reads the action's inputs from the runner (INPUT_* variables). */
export function readInputs(): Inputs {
  const inputs = parseInputs((name) => core.getInput(name));
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  return inputs;
}
