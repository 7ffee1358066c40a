import { randomUUID } from 'node:crypto';
import type { Log } from '../log.js';

/**
 * Pod output in the workflow log, unable to act as a workflow command.
 *
 * The runner parses every stdout line: `::cmd::` at the start of a line, and the legacy
 * `##[cmd]` ANYWHERE in a line, so prefixing lines is not enough. A section is written between
 * `::stop-commands::<token>` and `::<token>::` (token: randomUUID, new for every section): while
 * it is open the runner executes nothing but the resume token, which no pod can know.
 *
 * While a section is open nothing else may rely on workflow commands (group, error, warning,
 * add-mask would be printed, not executed); plain text is fine. File commands (outputs, state,
 * summary) are unaffected.
 *
 * Sections never overlap: the runner ignores a nested `::stop-commands::` and the first
 * `::<token>::` would resume command processing for the rest. So a section opened while another
 * is open on the same Log shares it, and the markers are written by the outermost only.
 *
 * What is changed in a line (nothing that carries content is ever dropped):
 * - a trailing `\r` (CRLF output) is removed by the line splitter;
 * - CSI escape sequences other than colours (cursor moves, erase line: `ESC [ ... K`) are removed;
 *   colours (SGR, `ESC [ ... m`) stay, the log viewer renders them.
 * A `\r` inside a line stays: the runner shows the parts as separate lines, which is harmless
 * inside a section.
 */
export interface SafeSection {
  /** The resume token (random; written as `::<token>::` at close). */
  readonly token: string;
  /** Writes whole lines of one container; `source` becomes a `[source] ` prefix when given. */
  lines(lines: readonly string[], source?: string): void;
  /** One line of the action's own (a status or note), plain text. */
  note(text: string): void;
  /** Whether the start marker has been written (something was printed). */
  readonly started: boolean;
  /** Writes the end marker if the start marker was written. Idempotent. */
  close(): void;
}

interface Shared {
  readonly token: string;
  started: boolean;
  refs: number;
}

const open = new WeakMap<Log, Shared>();

/** Escape sequences that only move the cursor or erase: CSI with a final byte other than `m`. */
// eslint-disable-next-line no-control-regex
const CURSOR_CSI = /\x1b\[[0-?]*[ -/]*[@-ln-~]/g;

/** Removes terminal control noise that carries no content; everything else is kept. */
export function cleanLine(line: string): string {
  return line.includes('\x1b') ? line.replace(CURSOR_CSI, '') : line;
}

/**
 * Opens a section. The start marker is written lazily, with the first line, so that a Job that
 * prints nothing leaves no empty section; `close()` must be called (use `withSafeOutput`).
 */
export function openSafeSection(log: Log): SafeSection {
  let shared = open.get(log);
  if (!shared) {
    shared = { token: `ke-${randomUUID()}`, started: false, refs: 0 };
    open.set(log, shared);
  }
  const s = shared;
  s.refs++;
  let closed = false;

  const write = (text: string): void => {
    if (closed) throw new Error('safe output section already closed');
    if (!s.started) {
      s.started = true;
      text = `::stop-commands::${s.token}\n${text}`;
    }
    log.write(text);
  };

  return {
    token: s.token,
    get started() {
      return s.started;
    },
    lines(lines, source) {
      if (!lines.length) return;
      const prefix = source ? `[${source}] ` : '';
      // One write per batch (a network chunk is hundreds of lines): no per-line syscalls and
      // no string built up across batches.
      let text = '';
      if (prefix) {
        for (const l of lines) text += `${prefix}${cleanLine(l)}\n`;
      } else {
        for (const l of lines) text += `${cleanLine(l)}\n`;
      }
      write(text);
    },
    note(text) {
      write(`${text.replace(/\r?\n/g, ' ')}\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      s.refs--;
      if (s.refs > 0) return;
      open.delete(log);
      if (s.started) log.write(`::${s.token}::\n`);
    },
  };
}

/** Runs `fn` with a section that is closed afterwards, also when `fn` throws or is cancelled. */
export async function withSafeOutput<T>(log: Log, fn: (section: SafeSection) => Promise<T>): Promise<T> {
  const section = openSafeSection(log);
  try {
    return await fn(section);
  } finally {
    section.close();
  }
}

/**
 * Makes one line of untrusted text inert when it has to be printed OUTSIDE a section (e.g. the
 * last log lines in an error's details): a line starting with `::` gets a leading `| `, and every
 * `##[` gets a zero-width space after its first `#`. The text stays readable and complete.
 */
export function neutralizeCommands(line: string): string {
  let out = line.includes('##[') ? line.replaceAll('##[', '#\u200b#[') : line;
  if (out.trimStart().startsWith('::')) out = `| ${out}`;
  return out;
}
