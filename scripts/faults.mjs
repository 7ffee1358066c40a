// npm run test:faults: installs what is missing, rebuilds dist/ (KE_SKIP_BUILD=1 tests the
// committed one), then runs the fault tests (test/faults) on a control plane of their own
// (.bench/clusters/faults, other ports; brought up by their global setup) and stops it afterwards
// (KE_KEEP_CLUSTER=1 leaves it up). Extra arguments go to vitest.
import { join } from 'node:path';
import { ensureInstalled, env24, root, run, runThenStop } from './ensure-install.mjs';

const t0 = Date.now();
ensureInstalled();
const env = env24({ KE_FAULTS: '1' });
if (process.env.KE_SKIP_BUILD !== '1') {
  console.log('[faults] building dist/ (npm run build)');
  run('npm', ['run', '--silent', 'build'], { env });
}
const code = runThenStop('faults', 'faults', [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'faults', ...process.argv.slice(2)], env);
console.log(`[faults] finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(code);
