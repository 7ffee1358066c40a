// Proves dist/ is current: rebuilds it from the installed packages and fails on any difference.
import { execFileSync } from 'node:child_process';
import { ensureInstalled, env24, root, run } from './ensure-install.mjs';

ensureInstalled();
run('npm', ['run', '--silent', 'build'], { env: env24() });
const diff = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: root, encoding: 'utf8' });
if (diff.trim()) {
  console.error('dist/ is not current: the rebuild changed these files (commit the rebuilt dist/):');
  console.error(diff);
  execFileSync('git', ['--no-pager', 'diff', '--stat', '--', 'dist'], { cwd: root, stdio: 'inherit' });
  process.exit(1);
}
console.log('dist/ is current: a rebuild from the lockfile gives no difference');
