/**
 * The sticky PR comment: one per environment, found again by a hidden marker on its first line.
 * Pure: rendering, the marker, finding the comment in a list, reading back what it showed.
 */

export type CommentStatus = 'in-progress' | 'ready' | 'failed' | 'cancelled' | 'deleted' | 'stuck';

/** What the comment shows. Kept (base64 JSON) in a hidden line so that a later run can re-render it. */
export interface CommentView {
  readonly namespace: string;
  readonly prNumber: number;
  readonly status: CommentStatus;
  /** The command of the run that wrote it (up, down, cleanup, post). */
  readonly command: string;
  readonly sha?: string | undefined;
  /** The public URL of the app (https://<ingress host>); the in-cluster URL is no use to a reviewer. */
  readonly appUrl?: string | undefined;
  readonly testResult?: string | undefined;
  readonly testExitCode?: string | undefined;
  readonly expiresAt?: string | undefined;
  /** What happens to the environment after the run: deleted by the post step, or kept until it expires. */
  readonly afterRun?: 'delete' | 'keep' | 'long-lived' | undefined;
  readonly runUrl: string;
  /** One line: why the run failed, or what happened to the environment. */
  readonly cause?: string | undefined;
  /** ISO time of this update. */
  readonly updatedAt: string;
}

const PREFIX = 'kube-ephemeral:';
const MAX_CAUSE = 500;
const DATA = 'kube-ephemeral-data:';

/** The hidden first line that identifies the comment of one environment (a namespace name). */
export function commentMarker(namespace: string): string {
  return `<!-- ${PREFIX}${namespace} -->`;
}

export interface CommentLike {
  readonly id: number;
  readonly body?: string | null | undefined;
  readonly user?: { readonly type?: string | undefined } | null | undefined;
}

/**
 * Pure: the comment that carries `marker` on its first line. Anyone can write a marker into a
 * comment of their own, so a bot's comment (the GITHUB_TOKEN writes as github-actions[bot]) wins
 * over a user's; among equals the oldest wins, so that concurrent runs converge on one comment.
 */
export function findMarkedComment<T extends CommentLike>(comments: readonly T[], marker: string): T | undefined {
  const marked = comments.filter((c) => (c.body ?? '').trimStart().split('\n', 1)[0]?.trim() === marker);
  return marked.find((c) => c.user?.type === 'Bot') ?? marked[0];
}

/**
 * Escapes text from the cluster (a cause, a message) for Markdown: HTML, table pipes, emphasis,
 * links, code spans and @mentions become entities; line breaks become spaces.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[&<>"'|`*_[\]\\~#@!]/g, (c) => `&#${c.codePointAt(0) ?? 32};`);
}

const HEADLINE: Record<CommentStatus, string> = {
  'in-progress': '⏳ Deploying',
  ready: '✅ Ready',
  failed: '❌ Failed',
  cancelled: '⚪ Cancelled',
  deleted: '🗑️ Deleted',
  stuck: '⚠️ Deletion stuck',
};

const TEST_ICON: Record<string, string> = { passed: '✅', failed: '❌', skipped: '⏭️' };

function environmentLine(v: CommentView): string | undefined {
  if (v.status === 'deleted' || v.status === 'stuck') return undefined;
  if (v.afterRun === 'long-lived') return 'long-lived namespace: never deleted; what a failed run changed is rolled back';
  if (v.status === 'in-progress' || !v.afterRun) return v.expiresAt ? `expires ${v.expiresAt}` : undefined;
  if (v.afterRun === 'delete') return 'deleted when the job ends';
  return `kept until ${v.expiresAt ?? 'its expiry'} (renewed by every run), then deleted by cleanup`;
}

function safeUrl(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\/[a-z0-9.-]+(:\d+)?(\/[^\s<>()"'`]*)?$/i.test(url)) return undefined;
  return url;
}

/** Pure: the comment body, marker first, the view as hidden data last. */
export function renderComment(view: CommentView): string {
  const v: CommentView = view.cause && view.cause.length > MAX_CAUSE ? { ...view, cause: `${view.cause.slice(0, MAX_CAUSE)}…` } : view;
  const rows: [string, string][] = [];
  const url = safeUrl(v.appUrl);
  if (url && (v.status === 'ready' || v.status === 'in-progress')) rows.push(['App', `[${escapeMarkdown(url)}](${url})`]);
  if (v.testResult) {
    const code = v.testExitCode !== undefined && v.testExitCode !== '' ? ` (exit code ${escapeMarkdown(v.testExitCode)})` : '';
    rows.push(['Tests', `${TEST_ICON[v.testResult] ?? ''} ${escapeMarkdown(v.testResult)}${code}`.trim()]);
  }
  rows.push(['Namespace', `\`${v.namespace.replace(/`/g, '')}\``]);
  const env = environmentLine(v);
  if (env) rows.push(['Environment', escapeMarkdown(env)]);
  if (v.sha) rows.push(['Commit', `\`${v.sha.replace(/[^0-9a-f]/gi, '').slice(0, 12)}\``]);
  const run = safeUrl(v.runUrl);
  if (run) rows.push(['Run', `[run ${escapeMarkdown(run.split('/').slice(-1)[0] ?? '')}](${run})`]);

  const lines = [
    commentMarker(v.namespace),
    `### ${HEADLINE[v.status]}: preview environment \`${v.namespace.replace(/`/g, '')}\``,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, val]) => `| **${k}** | ${val} |`),
  ];
  if (v.cause) {
    const label = v.status === 'failed' || v.status === 'stuck' || v.status === 'cancelled' ? 'Cause' : 'Note';
    lines.push('', `> **${label}:** ${escapeMarkdown(v.cause)}`);
  }
  lines.push('', `<sub>Updated ${escapeMarkdown(v.updatedAt)} by kube-ephemeral \`${v.command.replace(/[^a-z-]/g, '')}\`.</sub>`);
  lines.push(`<!-- ${DATA}${Buffer.from(JSON.stringify(v), 'utf8').toString('base64')} -->`);
  return `${lines.join('\n')}\n`;
}

/** Pure: the view a comment was rendered from, if it is one of ours and intact. */
export function parseCommentView(body: string): CommentView | undefined {
  const m = new RegExp(`<!-- ${DATA}([A-Za-z0-9+/=]+) -->`).exec(body);
  if (!m?.[1]) return undefined;
  try {
    const v = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as Record<string, unknown>;
    const str = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
    const status = str('status');
    const namespace = str('namespace');
    if (!namespace || typeof v.prNumber !== 'number' || !status || !(status in HEADLINE)) return undefined;
    const afterRun = str('afterRun');
    return {
      namespace,
      prNumber: v.prNumber,
      status: status as CommentStatus,
      command: str('command') ?? '',
      sha: str('sha'),
      appUrl: str('appUrl'),
      testResult: str('testResult'),
      testExitCode: str('testExitCode'),
      expiresAt: str('expiresAt'),
      afterRun: afterRun === 'delete' || afterRun === 'keep' || afterRun === 'long-lived' ? afterRun : undefined,
      runUrl: str('runUrl') ?? '',
      cause: str('cause'),
      updatedAt: str('updatedAt') ?? '',
    };
  } catch {
    return undefined;
  }
}

function runIdOf(runUrl: string | undefined): number | undefined {
  const m = /\/actions\/runs\/(\d+)(?:[/?#]|$)/.exec(runUrl ?? '');
  return m?.[1] ? Number(m[1]) : undefined;
}

/**
 * Pure: whether the comment was last written by a LATER workflow run than `runUrl` (GitHub's run
 * ids only grow). A run that was superseded or cancelled must not overwrite what the newer one
 * says. A comment without readable data, or from the same run (main and post), may be written.
 */
export function writtenByLaterRun(body: string, runUrl: string): boolean {
  const theirs = runIdOf(parseCommentView(body)?.runUrl);
  const ours = runIdOf(runUrl);
  return theirs !== undefined && ours !== undefined && theirs > ours;
}
