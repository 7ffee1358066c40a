// Shared by the npm entry scripts: on a fresh clone, install the npm packages (which bring Node 24)
// before anything else. Runs on whatever Node started it (the system's may be older than 24).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');
export const node24 = join(root, 'node_modules/.bin/node');

export function ensureInstalled() {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules/.package-lock.json');
  if (existsSync(node24) && existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('[setup] installing npm packages (npm ci), including Node 24');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

export function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
}

/** PATH with node_modules/.bin first, so `node` is Node 24 for every child. */
export function env24(extra = {}) {
  return { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, ...extra };
}

/**
 * Runs `node24 args` against a control plane of its own (the `bench` or `faults` profile of
 * test/faults/helpers/local-cluster.ts), then stops that cluster unless KE_KEEP_CLUSTER=1.
 * Returns the exit status for process.exit.
 */
export function runThenStop(profile, label, args, env) {
  let code = 0;
  try {
    run(node24, args, { env });
  } catch {
    code = 1;
  } finally {
    if (process.env.KE_KEEP_CLUSTER !== '1') {
      console.log(`[${label}] stopping the ${profile} control plane`);
      const stop = `const m = await import('./test/faults/helpers/local-cluster.ts'); new m.LocalCluster('${profile}').scriptSync(['down']);`;
      try {
        run(node24, ['--input-type=module', '-e', stop], { env });
      } catch {
        console.log(`[${label}] could not stop it: KE_CLUSTER_DIR=.bench/clusters/${profile} npm run cluster -- down`);
      }
    }
  }
  return code;
}
