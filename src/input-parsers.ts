import { InputError } from './errors.js';

/** Pure parsers of input strings. Each error names the input and what it accepts. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `2h`, `1d`, `1h30m`, `45s` -> milliseconds, within [min, max]. */
export function parseDuration(input: string, value: string, min: number, max: number): number {
  const v = value.trim();
  const parts = [...v.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (!v || parts.map((p) => p[0]).join('') !== v) {
    throw new InputError(`${input}: '${value}' is not a duration; use a number with a unit s, m, h or d, e.g. 90m, 2h, 1d, 1h30m`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] ?? 's'] ?? 0), 0);
  if (ms < min || ms > max) {
    throw new InputError(`${input}: '${value}' is out of range; it must be between ${formatDuration(min)} and ${formatDuration(max)}`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * A Kubernetes resource quantity (`500m`, `1Gi`, `2`, `1e3`) as a number of base units, or
 * undefined when Kubernetes would reject the string.
 */
export function quantityValue(q: string): number | undefined {
  const m = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/.exec(q);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const num = Number(m[2]);
  const suffix = m[3] ?? '';
  let factor: number | undefined;
  if (/^[eE]/.test(suffix)) factor = 10 ** Number(suffix.slice(1));
  else factor = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor === undefined || !Number.isFinite(num * factor)) return undefined;
  return sign * num * factor;
}

export function parseQuantity(input: string, value: string, example: string): string {
  const v = value.trim();
  const n = quantityValue(v);
  if (n === undefined || n <= 0) {
    throw new InputError(`${input}: '${value}' is not a positive Kubernetes quantity; use e.g. ${example}`);
  }
  return v;
}

export function parseInteger(input: string, value: string, min: number, max: number): number {
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new InputError(`${input}: '${value}' must be a whole number from ${min} to ${max}`);
  }
  return Number(v);
}

export function parseChoice<T extends string>(input: string, value: string, choices: readonly T[]): T {
  const v = value.trim();
  if (!(choices as readonly string[]).includes(v)) {
    throw new InputError(`${input}: '${value}' is not accepted; use one of ${choices.join(', ')}`);
  }
  return v as T;
}

export function parseBoolean(input: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InputError(`${input}: '${value}' is not accepted; use true or false`);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A name Kubernetes accepts for a namespace or most objects: a DNS-1123 label. */
export function parseDnsLabel(input: string, value: string, maxLength = 63): string {
  const v = value.trim();
  if (v.length > maxLength || !DNS_LABEL.test(v)) {
    throw new InputError(
      `${input}: '${value}' is not a valid name; use at most ${maxLength} lowercase letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  return v;
}

/** A DNS-1123 subdomain (Deployment, Job, Pod names): lowercase labels joined by dots, <= 253. */
export function parseObjectName(input: string, value: string): string {
  const v = value.trim();
  if (v.length > 253 || !v.split('.').every((l) => DNS_LABEL.test(l))) {
    throw new InputError(`${input}: '${value}' is not a valid object name; use lowercase letters, digits, '-' and '.' (at most 253)`);
  }
  return v;
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/** `KEY=value` per line (blank lines and `#` comments skipped). */
export function parseEnvLines(input: string, value: string): EnvVar[] {
  const out: EnvVar[] = [];
  for (const [i, raw] of value.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      throw new InputError(`${input}: line ${i + 1} is not KEY=value with a valid variable name (letters, digits, '_', '.', '-', not starting with a digit)`);
    }
    out.push({ name, value: line.slice(eq + 1) });
  }
  return out;
}

export interface ImageSubstitution {
  /** The image as written in the manifests, without tag or digest (`ghcr.io/acme/web`). */
  readonly name: string;
  /** The full reference to use instead (`ghcr.io/acme/web:sha-abc`). */
  readonly ref: string;
}

const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]|__|[a-z0-9])*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

export function isImageRef(ref: string): boolean {
  return ref.length <= 512 && IMAGE_REF.test(ref);
}

export function parseImage(input: string, value: string): string {
  const v = value.trim();
  if (!isImageRef(v)) {
    throw new InputError(`${input}: '${value}' is not an image reference; use e.g. ghcr.io/acme/web:1.2.3`);
  }
  return v;
}

/** `name=ref` per line. */
export function parseImageLines(input: string, value: string): ImageSubstitution[] {
  const out: ImageSubstitution[] = [];
  for (const [i, raw] of value.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    const ref = eq > 0 ? line.slice(eq + 1).trim() : '';
    if (!isImageRef(name) || !isImageRef(ref)) {
      throw new InputError(`${input}: line ${i + 1} must be name=ref, e.g. ghcr.io/acme/web=ghcr.io/acme/web:sha-1234`);
    }
    out.push({ name, ref });
  }
  return out;
}

/** Lines or commas -> trimmed non-empty items. */
export function parseList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
}

/** A readiness probe path: starts with '/', printable, no spaces. */
export function parseHttpPath(input: string, value: string): string {
  const v = value.trim();
  if (!/^\/[\x21-\x7e]*$/.test(v) || v.length > 1024) {
    throw new InputError(`${input}: '${value}' must be an HTTP path starting with '/', e.g. /healthz`);
  }
  return v;
}

/** An ingress host template: DNS name, `{pr}` replaced later by the PR number. */
export function parseHostTemplate(input: string, value: string): string {
  const v = value.trim();
  const probe = v.replaceAll('{pr}', '1');
  if (probe.length > 253 || !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(probe)) {
    throw new InputError(`${input}: '${value}' is not a host name; use e.g. pr-{pr}.preview.example.com`);
  }
  return v;
}
