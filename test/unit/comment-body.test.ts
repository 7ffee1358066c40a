import { describe, expect, it } from 'vitest';
import { commentMarker, escapeMarkdown, type CommentLike, findMarkedComment, parseCommentView, renderComment, writtenByLaterRun, type CommentView } from '../../src/github/comment-body.js';

const view = (over: Partial<CommentView> = {}): CommentView => ({
  namespace: 'pr-7-shop',
  prNumber: 7,
  status: 'ready',
  command: 'up',
  sha: '0123456789abcdef0123456789abcdef01234567',
  appUrl: 'https://pr-7.preview.example.com',
  testResult: 'passed',
  testExitCode: '0',
  expiresAt: '2026-11-23T11:00:00Z',
  afterRun: 'keep',
  runUrl: 'https://github.com/acme/shop/actions/runs/42',
  updatedAt: '2026-11-23T10:00:00Z',
  ...over,
});

describe('commentMarker / findMarkedComment', () => {
  const marker = commentMarker('pr-7-shop');
  const bot = { type: 'Bot' };
  const user = { type: 'User' };

  it('is a hidden HTML comment naming the environment', () => {
    expect(marker).toBe('<!-- kube-ephemeral:pr-7-shop -->');
  });

  it.each([
    ['no comments', [], undefined],
    ['marker on the first line', [{ id: 1, body: `${marker}\nhello`, user: bot }], 1],
    ['leading whitespace before the marker', [{ id: 1, body: `\n  ${marker}\nhello`, user: bot }], 1],
    ['marker quoted later in a comment does not count', [{ id: 1, body: `see\n${marker}`, user: bot }], undefined],
    ['another environment (prefix of the name) does not count', [{ id: 1, body: `${commentMarker('pr-7-shop-2')}\n`, user: bot }], undefined],
    ['a null body is skipped', [{ id: 1, body: null, user: bot }], undefined],
    [
      "a bot's comment wins over a user's forged marker, even when newer",
      [
        { id: 1, body: `${marker}\nforged`, user },
        { id: 2, body: `${marker}\nours`, user: bot },
      ],
      2,
    ],
    [
      'the oldest of two wins (concurrent runs converge)',
      [
        { id: 1, body: `${marker}\na`, user: bot },
        { id: 2, body: `${marker}\nb`, user: bot },
      ],
      1,
    ],
    ['a user comment is used when there is no bot one (a PAT writes as a user)', [{ id: 5, body: `${marker}\n`, user }], 5],
  ])('%s', (_name, comments, id) => {
    expect(findMarkedComment(comments as CommentLike[], marker)?.id).toBe(id);
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['<img src=x onerror=alert(1)>', '&#60;img src=x onerror=alert(1)&#62;'],
    ['ping @octocat', 'ping &#64;octocat'],
    ['a | b', 'a &#124; b'],
    ['**bold** [link](http://x) `code`', '&#42;&#42;bold&#42;&#42; &#91;link&#93;(http://x) &#96;code&#96;'],
    ['two\nlines\r\n', 'two lines '],
  ])('%j', (input, out) => {
    expect(escapeMarkdown(input)).toBe(out);
  });
});

describe('renderComment', () => {
  it('starts with the marker and shows status, app, tests, namespace, expiry, commit and run', () => {
    const body = renderComment(view());
    expect(body.split('\n')[0]).toBe('<!-- kube-ephemeral:pr-7-shop -->');
    expect(body).toContain('### ✅ Ready: preview environment `pr-7-shop`');
    expect(body).toContain('| **App** | [https://pr-7.preview.example.com](https://pr-7.preview.example.com) |');
    expect(body).toContain('| **Tests** | ✅ passed (exit code 0) |');
    expect(body).toContain('| **Namespace** | `pr-7-shop` |');
    expect(body).toContain('kept until 2026-11-23T11:00:00Z');
    expect(body).toContain('| **Commit** | `0123456789ab` |');
    expect(body).toContain('| **Run** | [run 42](https://github.com/acme/shop/actions/runs/42) |');
    expect(body).not.toContain('Cause');
  });

  it('on failure shows the one-line cause, escaped', () => {
    const body = renderComment(view({ status: 'failed', testResult: undefined, cause: 'deployment app: <b>ImagePullBackOff</b> | @admin', afterRun: 'delete' }));
    expect(body).toContain('### ❌ Failed');
    expect(body).toContain('> **Cause:** deployment app: &#60;b&#62;ImagePullBackOff&#60;/b&#62; &#124; &#64;admin');
    expect(body).toContain('deleted when the job ends');
    expect(body).not.toContain('<b>');
  });

  it('shortens a very long cause', () => {
    const body = renderComment(view({ status: 'failed', cause: 'x'.repeat(10_000) }));
    expect(body.length).toBeLessThan(3_000);
  });

  it('no app row without a public URL, and none for a URL that is not plainly http(s)', () => {
    expect(renderComment(view({ appUrl: undefined }))).not.toContain('**App**');
    expect(renderComment(view({ appUrl: 'javascript:alert(1)' }))).not.toContain('**App**');
    expect(renderComment(view({ appUrl: 'https://x.example.com/a)[b' }))).not.toContain('**App**');
  });

  it('deleted: no app link, the note says what happened', () => {
    const body = renderComment(view({ status: 'deleted', cause: 'PR closed: deleted by cleanup', afterRun: undefined }));
    expect(body).toContain('### 🗑️ Deleted');
    expect(body).not.toContain('**App**');
    expect(body).toContain('> **Note:** PR closed: deleted by cleanup');
  });

  it('has no blank line inside the table and ends with the hidden data', () => {
    const body = renderComment(view());
    const table = body.slice(body.indexOf('| | |'), body.indexOf('\n\n', body.indexOf('| | |')));
    expect(table.split('\n').every((l) => l.startsWith('|'))).toBe(true);
    expect(body.trimEnd().split('\n').at(-1)).toMatch(/^<!-- kube-ephemeral-data:[A-Za-z0-9+/=]+ -->$/);
  });
});

describe('parseCommentView', () => {
  it('reads back what renderComment wrote', () => {
    const v = view({ status: 'failed', cause: 'boom --> <!-- x' });
    expect(parseCommentView(renderComment(v))).toEqual(v);
  });

  it.each([
    ['no data', 'hello'],
    ['not base64 JSON', '<!-- kube-ephemeral-data:!!! -->'],
    ['JSON without the required fields', `<!-- kube-ephemeral-data:${Buffer.from('{"namespace":1}').toString('base64')} -->`],
    ['an unknown status', `<!-- kube-ephemeral-data:${Buffer.from('{"namespace":"a","prNumber":1,"status":"pwned"}').toString('base64')} -->`],
  ])('%s: undefined', (_name, body) => {
    expect(parseCommentView(body)).toBeUndefined();
  });

  it('drops fields of the wrong type instead of trusting them', () => {
    const data = Buffer.from(JSON.stringify({ namespace: 'pr-7-shop', prNumber: 7, status: 'ready', cause: { evil: true }, afterRun: 'explode' })).toString('base64');
    const v = parseCommentView(`<!-- kube-ephemeral-data:${data} -->`);
    expect(v?.cause).toBeUndefined();
    expect(v?.afterRun).toBeUndefined();
  });
});

describe('writtenByLaterRun', () => {
  const body = renderComment(view({ runUrl: 'https://github.com/acme/shop/actions/runs/500' }));
  it.each([
    ['an older run must not overwrite', 'https://github.com/acme/shop/actions/runs/499', true],
    ['the same run (main, then post) may', 'https://github.com/acme/shop/actions/runs/500', false],
    ['a later run may', 'https://github.com/acme/shop/actions/runs/501', false],
    ['ids compare as numbers, not text', 'https://github.com/acme/shop/actions/runs/1000', false],
  ])('%s', (_name, ours, out) => {
    expect(writtenByLaterRun(body, ours)).toBe(out);
  });
  it('a comment without data may be written', () => {
    expect(writtenByLaterRun('<!-- kube-ephemeral:pr-7-shop -->\nold format', 'https://github.com/acme/shop/actions/runs/1')).toBe(false);
  });
});
