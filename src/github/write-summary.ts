import * as core from '@actions/core';
import { errorMessage } from '../errors.js';
import type { Log } from '../log.js';

/** Appends to the step summary; a missing or unwritable summary file only warns. */
export async function writeSummary(html: string, log: Log): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addRaw(html).write();
  } catch (err) {
    log.warning(`could not write the job summary: ${errorMessage(err)}`);
  }
}
