import type { EnvVar } from '../input-parsers.js';

/** Container environment entries: literal values, or values read from a Secret. Pure. */

export interface LiteralEnv {
  readonly name: string;
  readonly value: string;
}

export interface SecretEnv {
  readonly name: string;
  readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

export type EnvEntry = LiteralEnv | SecretEnv;

export function literalEnv(name: string, value: string): LiteralEnv {
  return { name, value };
}

export function secretEnv(name: string, secret: string, key: string): SecretEnv {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/**
 * `base` then the user's variables, which override by name (the overridden entry is dropped, the
 * user's comes later so it may refer to earlier ones as `$(NAME)`). Names stay unique: server-side
 * apply rejects an env list with a name twice. Among the user's own duplicates the last wins.
 */
export function mergeEnv(base: readonly EnvEntry[], user: readonly EnvVar[]): EnvEntry[] {
  const last = new Map<string, string>();
  for (const v of user) {
    last.delete(v.name);
    last.set(v.name, v.value);
  }
  return [...base.filter((e) => !last.has(e.name)).map((e) => structuredClone(e)), ...[...last].map(([name, value]) => literalEnv(name, value))];
}
