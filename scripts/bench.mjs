// npm run bench: installs what is missing, rebuilds dist/ (KE_SKIP_BUILD=1 measures the committed
// one), builds Helm 4 from its Go module (cached; without it the Helm columns stay empty), then
// runs bench/run.ts on a control plane of its own (.bench/clusters/bench) and stops it afterwards
// (KE_KEEP_CLUSTER=1 leaves it up). Arguments go to bench/run.ts: --rounds N, --cases a,b,c.
// Results: a table on the console and JSON in bench/results/.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureInstalled, env24, root, run, runThenStop } from './ensure-install.mjs';

const t0 = Date.now();
ensureInstalled();
const env = env24();
if (process.env.KE_SKIP_BUILD !== '1') {
  console.log('[bench] building dist/ (npm run build)');
  run('npm', ['run', '--silent', 'build'], { env });
}
let helm = '';
try {
  helm = execFileSync('bash', [join(root, 'scripts/bench/build-helm.sh')], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
} catch {
  console.log('[bench] Helm 4 could not be built: its columns stay empty');
}
const code = runThenStop('bench', 'bench', [join(root, 'bench/run.ts'), ...(helm ? ['--helm', helm] : []), ...process.argv.slice(2)], env);
console.log(`[bench] finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(code);
