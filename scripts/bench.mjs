// npm run bench: installs what is missing, rebuilds dist/ (KE_SKIP_BUILD=1 measures the committed
// one), builds Helm 4 from its Go module (cached; without it the Helm columns stay empty), then
// runs bench/run.ts on a control plane of its own (.bench/clusters/bench) and stops it afterwards
// (KE_KEEP_CLUSTER=1 leaves it up). Arguments go to bench/run.ts: --rounds N, --cases a,b,c.
// Results: a table on the console and JSON in bench/results/.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureInstalled, env24, node24, root, run } from './ensure-install.mjs';

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
let code = 0;
try {
  run(node24, [join(root, 'bench/run.ts'), ...(helm ? ['--helm', helm] : []), ...process.argv.slice(2)], { env });
} catch {
  code = 1;
} finally {
  if (process.env.KE_KEEP_CLUSTER !== '1') {
    console.log('[bench] stopping the bench control plane');
    const stop = "const m = await import('./test/faults/helpers/local-cluster.ts'); new m.LocalCluster('bench').scriptSync(['down']);";
    try {
      run(node24, ['--input-type=module', '-e', stop], { env });
    } catch {
      console.log('[bench] could not stop it: KE_CLUSTER_DIR=.bench/clusters/bench npm run cluster -- down');
    }
  }
  console.log(`[bench] finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
process.exit(code);
