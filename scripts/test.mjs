// npm test: installs what is missing, rebuilds dist/, brings the local control plane up (building
// it from Go modules on first use, cached afterwards), then runs the unit and end-to-end tests.
// Set KE_SKIP_BUILD=1 to test the committed dist/ as it is. Extra arguments go to vitest.
import { join } from 'node:path';
import { ensureInstalled, env24, root, run } from './ensure-install.mjs';

const t0 = Date.now();
ensureInstalled();
const env = env24();
if (process.env.KE_SKIP_BUILD !== '1') {
  console.log('[test] building dist/ (npm run build)');
  run('npm', ['run', '--silent', 'build'], { env });
}
console.log('[test] bringing the local control plane up');
run('bash', [join(root, 'scripts/cluster/cluster.sh'), 'up'], { env });
console.log('[test] unit and end-to-end tests');
try {
  run(join(root, 'node_modules/.bin/vitest'), ['run', ...process.argv.slice(2)], { env });
} finally {
  console.log(`[test] finished in ${((Date.now() - t0) / 1000).toFixed(0)} s (the cluster stays up; npm run cluster -- down stops it)`);
}
