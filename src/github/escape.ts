/** Terminal escape sequences (CSI, OSC, two-byte) and control characters other than tab and line breaks. */
// eslint-disable-next-line no-control-regex
const TERMINAL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** A log line longer than this is shortened in the summary (the step log has all of it). */
export const MAX_PRE_LINE = 2_000;

/** Escapes text taken from the cluster or pod logs before it goes into the summary (HTML/Markdown), as one line. */
export function escapeHtml(text: string): string {
  return text
    .replace(TERMINAL, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\|/g, '&#124;')
    .replace(/`/g, '&#96;')
    .replace(/\r?\n|\r/g, ' ');
}

/**
 * One line of untrusted text (a pod log) for a `<pre>` in the summary: terminal sequences and
 * control characters removed, `&`, `<`, `>` escaped, cut at MAX_PRE_LINE characters. A blank line
 * becomes a non-breaking space: in the summary's Markdown a blank line would end the HTML block.
 */
export function escapePreLine(line: string): string {
  let text = line.replace(/\r?\n|\r/g, ' ').replace(TERMINAL, '');
  if (text.length > MAX_PRE_LINE) text = `${text.slice(0, MAX_PRE_LINE)}… [${text.length - MAX_PRE_LINE} more characters]`;
  if (text.trim() === '') return '&#160;';
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
