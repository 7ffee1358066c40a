import { describe, expect, it } from 'vitest';
import {
  parseDuration,
  parseEnvLines,
  parseImage,
  parseImageLines,
  parseQuantity,
  quantityValue,
  parseDnsLabel,
  parseHostTemplate,
} from '../../src/input-parsers.js';

describe('parseDuration', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
  ])('%s -> %d ms', (v, ms) => expect(parseDuration('ttl', v, 1000, 10 * 86_400_000)).toBe(ms));

  it.each(['', '10', 'm', '1x', '1h 30m', '-1h', '1.5h', 'abc'])('rejects %j naming the input and the format', (v) => {
    expect(() => parseDuration('ttl', v, 1000, 86_400_000)).toThrow(/^ttl: .*(not a duration|out of range).*/);
  });

  it('rejects a value out of range with the bounds', () => {
    expect(() => parseDuration('ttl', '100d', 60_000, 90 * 86_400_000)).toThrow('ttl: \'100d\' is out of range; it must be between 1m and 90d');
  });
});

describe('quantities', () => {
  it.each([
    ['1000m', 1],
    ['1', 1],
    ['0.5', 0.5],
    ['1Gi', 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['2G', 2e9],
    ['1e3', 1000],
    ['.5', 0.5],
  ])('%s = %d', (q, n) => expect(quantityValue(q)).toBeCloseTo(n));

  it.each(['1gi', '1 Gi', 'one', '1GB', '1.2.3', '', 'Gi', '1Mi1'])('%j is rejected as Kubernetes would', (q) => {
    expect(quantityValue(q)).toBeUndefined();
  });

  it('names the input and gives examples', () => {
    expect(() => parseQuantity('memory-limit', '1GB', '512Mi, 1Gi')).toThrow("memory-limit: '1GB' is not a positive Kubernetes quantity; use e.g. 512Mi, 1Gi");
    expect(() => parseQuantity('cpu-limit', '0', '500m')).toThrow(/cpu-limit/);
  });
});

describe('env and image lines', () => {
  it('parses KEY=value lines, keeping = in values and skipping comments', () => {
    expect(parseEnvLines('app-env', 'A=1\n# note\n\nB=x=y\nLOG_LEVEL = debug')).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'x=y' },
      { name: 'LOG_LEVEL', value: ' debug' },
    ]);
  });
  it.each(['noequals', '=1', '1A=2', 'A B=1', '$(rm -rf)=1'])('rejects %j with the line number', (line) => {
    expect(() => parseEnvLines('test-env', `OK=1\n${line}`)).toThrow(/^test-env: line 2 /);
  });
  it('parses image substitutions', () => {
    expect(parseImageLines('images', 'ghcr.io/acme/web=ghcr.io/acme/web:sha-1\nredis=redis:7')).toEqual([
      { name: 'ghcr.io/acme/web', ref: 'ghcr.io/acme/web:sha-1' },
      { name: 'redis', ref: 'redis:7' },
    ]);
    expect(() => parseImageLines('images', 'web')).toThrow(/^images: line 1 must be name=ref/);
  });
  it.each(['nginx', 'nginx:1.27', 'ghcr.io/acme/web:sha-abc', 'localhost:5000/a/b@sha256:' + 'a'.repeat(64), 'local/test:pass'])('accepts image %s', (i) => {
    expect(parseImage('app-image', i)).toBe(i);
  });
  it.each(['Nginx', 'nginx latest', 'a;rm -rf /', '', 'nginx:', '$(whoami)'])('rejects image %j', (i) => {
    expect(() => parseImage('app-image', i)).toThrow(/^app-image: /);
  });
});

describe('names', () => {
  it.each(['pr-7-shop', 'a', 'x'.repeat(63)])('accepts %s', (n) => expect(parseDnsLabel('namespace', n)).toBe(n));
  it.each(['PR-7', '-a', 'a-', 'a_b', 'x'.repeat(64), 'a.b', ''])('rejects %j', (n) => {
    expect(() => parseDnsLabel('namespace', n)).toThrow(/^namespace: .* is not a valid name/);
  });
  it('host templates allow {pr}', () => {
    expect(parseHostTemplate('ingress-host', 'pr-{pr}.preview.example.com')).toBe('pr-{pr}.preview.example.com');
    expect(() => parseHostTemplate('ingress-host', 'http://x')).toThrow(/^ingress-host: /);
  });
});
