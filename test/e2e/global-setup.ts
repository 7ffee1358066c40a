import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/**
 * The e2e tests need the local control plane and the bundle. Bring the cluster up when it is not
 * (a warm start takes seconds); fail — never skip — when that is impossible.
 */
export default function setup(): void {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/index.js is missing: run npm run build');
  const status = (): boolean => {
    try {
      execFileSync('bash', [join(root, 'scripts/cluster/cluster.sh'), 'status'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (status()) return;
  execFileSync('bash', [join(root, 'scripts/cluster/cluster.sh'), 'up'], { stdio: 'inherit' });
  if (!status()) throw new Error('the local control plane did not come up (npm run cluster -- status)');
}
