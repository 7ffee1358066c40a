import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { INPUT_DEFAULTS } from '../../src/inputs.js';

const action = load(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, { default?: string; description: string }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string; post: string; 'post-if'?: string };
};

describe('action.yml', () => {
  it('declares exactly the inputs the code reads, with the same defaults', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(INPUT_DEFAULTS).sort());
    for (const [name, def] of Object.entries(INPUT_DEFAULTS)) {
      if (name === 'github-token') continue; // ${{ github.token }} in action.yml
      expect(String(action.inputs[name]?.default ?? ''), name).toBe(def);
      expect(action.inputs[name]?.description.length, name).toBeGreaterThan(10);
    }
  });
  it('runs one node24 bundle for main and post, post decided in code', () => {
    expect(action.runs).toMatchObject({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js' });
    expect(action.runs['post-if']).toBeUndefined();
  });
  it('declares the outputs of the contract', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(
      ['app-url', 'database-url', 'job-name', 'namespace', 'result', 'revision', 'test-exit-code', 'test-result'].sort(),
    );
  });
});
