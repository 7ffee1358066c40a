import { describe, expect, it } from 'vitest';
import { environmentNamespace, repoLabelValue, slug, testJobName } from '../../src/environment/naming.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('environmentNamespace', () => {
  it('is <prefix>-<pr>-<repo>', () => {
    expect(environmentNamespace('pr', 7, 'acme', 'shop')).toBe('pr-7-shop');
    expect(environmentNamespace('preview', 1234, 'acme', 'My_Shop.V2')).toBe('preview-1234-my-shop-v2');
  });

  it('cuts long names to 63 characters with a stable hash that tells repos apart', () => {
    const a = environmentNamespace('pr', 123456, 'acme', 'a-very-long-repository-name-that-goes-on-and-on-and-on-forever');
    const b = environmentNamespace('pr', 123456, 'acme', 'a-very-long-repository-name-that-goes-on-and-on-and-on-forever-2');
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(DNS_LABEL);
    expect(a).toMatch(/^pr-123456-a-very-long/);
    expect(a).not.toBe(b);
    expect(environmentNamespace('pr', 123456, 'acme', 'a-very-long-repository-name-that-goes-on-and-on-and-on-forever')).toBe(a);
  });

  it.each(['...', '___', 'ÄÖÜ', 'x'.repeat(100), '-leading', 'UPPER'])('always gives a DNS label for repo %j', (repo) => {
    const n = environmentNamespace('pr', 42, 'o', repo);
    expect(n).toMatch(DNS_LABEL);
    expect(n.length).toBeLessThanOrEqual(63);
  });
});

describe('repoLabelValue', () => {
  it('is owner.repo in lowercase', () => expect(repoLabelValue('Acme', 'Shop')).toBe('acme.shop'));
  it('stays a valid label value for long or odd names, and differs between repos', () => {
    const long = repoLabelValue('an-organisation-with-a-long-name', 'and-a-repository-with-an-even-longer-name');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    expect(repoLabelValue('o', '.github')).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    expect(long).not.toBe(repoLabelValue('an-organisation-with-a-long-name', 'and-a-repository-with-an-even-longer-name-2'));
  });
});

describe('slug and job names', () => {
  it('slugs', () => expect(slug(' Feature/Add_Checkout.V2 ')).toBe('feature-add-checkout-v2'));
  it('job names are unique per run attempt', () => {
    expect(testJobName('123', '1')).toBe('test-123-1');
    expect(testJobName('123', '2')).not.toBe(testJobName('123', '1'));
  });
});
