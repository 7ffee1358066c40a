import { describe, expect, it } from 'vitest';
import { ANNOTATION, expiresAt, isExpired, isOwnedBy, ownershipLabels, ownershipProblem } from '../../src/environment/ownership.js';

const owner = { repository: 'acme/shop', repoLabel: 'acme.shop' };

describe('ownership', () => {
  it('labels carry managed-by, repo and PR', () => {
    expect(ownershipLabels(owner, 7)).toEqual({
      'app.kubernetes.io/managed-by': 'kube-ephemeral',
      'kube-ephemeral.io/repo': 'acme.shop',
      'kube-ephemeral.io/pr': '7',
    });
  });
  it('a namespace is ours only with managed-by AND our repo label', () => {
    expect(isOwnedBy({ labels: ownershipLabels(owner, 7) }, owner)).toBe(true);
    expect(isOwnedBy({ labels: { 'kube-ephemeral.io/repo': 'acme.shop' } }, owner)).toBe(false);
    expect(isOwnedBy({ labels: { ...ownershipLabels(owner, 7), 'kube-ephemeral.io/repo': 'other.repo' } }, owner)).toBe(false);
    expect(isOwnedBy(undefined, owner)).toBe(false);
    expect(ownershipProblem({ name: 'pr-7-shop' }, owner)).toMatch(/lacks the label app.kubernetes.io\/managed-by=kube-ephemeral/);
    expect(ownershipProblem({ labels: { ...ownershipLabels(owner, 7), 'kube-ephemeral.io/repo': 'x.y' } }, owner)).toMatch(/another repository/);
  });
  it('expiry', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(expiresAt(now, 90 * 60_000)).toBe('2026-11-23T11:30:00Z');
    expect(isExpired({ annotations: { [ANNOTATION.expiresAt]: '2026-11-23T09:59:59Z' } }, now)).toBe(true);
    expect(isExpired({ annotations: { [ANNOTATION.expiresAt]: '2026-11-23T10:00:01Z' } }, now)).toBe(false);
    expect(isExpired({ annotations: { [ANNOTATION.expiresAt]: 'garbage' } }, now)).toBe(false);
    expect(isExpired({}, now)).toBe(false);
  });
});
