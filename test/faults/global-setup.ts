import { existsSync } from 'node:fs';
import { BUNDLE } from '../e2e/helpers/run-action.js';
import { LocalCluster } from './helpers/local-cluster.js';
import { installSlowReadyStage } from './helpers/stages.js';

/**
 * The fault tests run on a control plane of their own (.bench/clusters/faults, other ports): they
 * restart its API server and cut its streams, which must never hit `npm test` on the shared one.
 * Brought up here when it is not (cached binaries: ~15 s); scripts/faults.mjs stops it afterwards.
 */
export default async function setup(): Promise<void> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build (or set KE_BUNDLE)`);
  const cluster = new LocalCluster('faults');
  cluster.ensureUp();
  await installSlowReadyStage(cluster);
}
