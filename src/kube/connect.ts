import { KubeConfig } from '@kubernetes/client-node';
import { InputError } from '../errors.js';
import { createKube, type Kube } from './http.js';
import { sleep } from '../clock.js';

export interface ConnectOptions {
  /** kubeconfig content from the `kubeconfig` input; empty: KUBECONFIG, ~/.kube/config, in-cluster. */
  readonly kubeconfig: string;
  readonly context: string;
}

export interface Connection {
  readonly kube: Kube;
  readonly kc: KubeConfig;
  readonly server: string;
  /** The context in use, for the log. */
  readonly context: string;
}

/** Secrets in a kubeconfig that must never reach the log. */
export function kubeconfigSecrets(kc: KubeConfig): string[] {
  const out: string[] = [];
  for (const u of kc.getUsers()) {
    for (const v of [u.token, u.password, u.keyData, u.certData]) if (v) out.push(v);
  }
  return out;
}

export function loadKubeConfig(o: ConnectOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (o.kubeconfig.trim()) kc.loadFromString(o.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new InputError(`kubeconfig: cannot be read (${(err as Error).message.split('\n')[0]}); give the content of a kubeconfig file`);
  }
  if (o.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(o.context)) {
      throw new InputError(`context: '${o.context}' is not in the kubeconfig; it has: ${names.join(', ') || 'none'}`);
    }
    kc.setCurrentContext(o.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new InputError('kubeconfig: no cluster for the current context; set `kubeconfig` or `context`');
  }
  return kc;
}

export function connect(kc: KubeConfig): Connection {
  const kube = createKube(kc, { sleep });
  return { kube, kc, server: kube.server, context: kc.getCurrentContext() };
}

export interface ServerVersion {
  readonly gitVersion: string;
  readonly platform?: string;
}

export async function serverVersion(kube: Kube, signal?: AbortSignal): Promise<ServerVersion> {
  return kube.request<ServerVersion>({ method: 'GET', path: '/version', ...(signal ? { signal } : {}) });
}

/** Kubeconfig from the inputs, its secrets masked, and a client: what main and post both need. */
export function connectFromInputs(o: ConnectOptions, mask: (secret: string) => void): Connection {
  const kc = loadKubeConfig(o);
  for (const s of kubeconfigSecrets(kc)) mask(s);
  return connect(kc);
}
