/** Labels and annotations that mark what kube-ephemeral created, and the checks that rely on them. */

export const DOMAIN = 'kube-ephemeral.io';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'kube-ephemeral';
/** The field manager of every server-side apply; never rename it (ownership of fields follows it). */
export const FIELD_MANAGER = 'kube-ephemeral';

export const LABEL = {
  repo: `${DOMAIN}/repo`,
  pr: `${DOMAIN}/pr`,
  headSha: `${DOMAIN}/head-sha`,
  component: `${DOMAIN}/component`,
} as const;

export const ANNOTATION = {
  repository: `${DOMAIN}/repository`,
  expiresAt: `${DOMAIN}/expires-at`,
  ttl: `${DOMAIN}/ttl`,
  runUrl: `${DOMAIN}/run-url`,
  createdByRun: `${DOMAIN}/created-by-run`,
} as const;

export interface Owner {
  /** `owner/repo` as GitHub spells it. */
  readonly repository: string;
  /** The repo label value (see naming.repoLabelValue). */
  readonly repoLabel: string;
}

export interface Meta {
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Labels every object the action creates carries. */
export function ownershipLabels(owner: Owner, prNumber: number | undefined): Record<string, string> {
  return {
    [MANAGED_BY]: MANAGER,
    [LABEL.repo]: owner.repoLabel,
    ...(prNumber === undefined ? {} : { [LABEL.pr]: String(prNumber) }),
  };
}

export function isManaged(meta: Meta | undefined): boolean {
  return meta?.labels?.[MANAGED_BY] === MANAGER;
}

/** The only licence to delete: our managed-by label AND the repo label of this repository. */
export function isOwnedBy(meta: Meta | undefined, owner: Owner): boolean {
  return isManaged(meta) && meta?.labels?.[LABEL.repo] === owner.repoLabel;
}

/** Why a namespace is not ours to delete, or undefined when it is. */
export function ownershipProblem(meta: Meta | undefined, owner: Owner): string | undefined {
  if (!isManaged(meta)) return `it lacks the label ${MANAGED_BY}=${MANAGER}, so kube-ephemeral did not create it`;
  const repo = meta?.labels?.[LABEL.repo];
  if (repo !== owner.repoLabel) return `it belongs to another repository (${LABEL.repo}=${repo ?? 'missing'}, this one is ${owner.repoLabel})`;
  return undefined;
}

/** expires-at = now + ttl, as an RFC 3339 UTC timestamp without milliseconds. */
export function expiresAt(nowMs: number, ttlMs: number): string {
  return new Date(nowMs + ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether the expires-at annotation has passed; a missing or unreadable one never expires. */
export function isExpired(meta: Meta | undefined, nowMs: number): boolean {
  const t = Date.parse(meta?.annotations?.[ANNOTATION.expiresAt] ?? '');
  return Number.isFinite(t) && t <= nowMs;
}
