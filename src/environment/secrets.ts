import { randomBytes } from 'node:crypto';
import type { Database } from '../inputs.js';
import { isNotFound } from '../kube/errors.js';
import type { Kube } from '../kube/http.js';

/** A password that is safe in URLs and shells: 24 characters of [A-Za-z0-9]. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 24);
}

/**
 * The database passwords: those of an existing environment are kept (the running database was
 * initialised with them), new ones are generated.
 */
export async function databasePasswords(
  kube: Kube,
  namespace: string,
  databases: readonly Database[],
  secretName: (db: Database) => string,
  passwordKey: string,
  namespaceExists: boolean,
): Promise<Partial<Record<Database, string>>> {
  const out: Partial<Record<Database, string>> = {};
  for (const db of databases) {
    let existing: string | undefined;
    if (namespaceExists) {
      try {
        const s = await kube.request<{ data?: Record<string, string> }>({
          method: 'GET',
          path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(secretName(db))}`,
        });
        const b64 = s.data?.[passwordKey];
        existing = b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    out[db] = existing || generatePassword();
  }
  return out;
}
