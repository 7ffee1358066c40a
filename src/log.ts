import * as core from '@actions/core';

export interface AnnotationProps {
  readonly title?: string;
}

/** What commands print. The runner implementation writes workflow commands; tests can collect lines. */
export interface Log {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, props?: AnnotationProps): void;
  error(message: string, props?: AnnotationProps): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Raw text to stdout, never parsed for workflow commands (see safe-output). */
  write(text: string): void;
  setSecret(secret: string): void;
}

export const runnerLog: Log = {
  info: (m) => core.info(m),
  debug: (m) => core.debug(m),
  warning: (m, p) => core.warning(m, p?.title ? { title: p.title } : {}),
  error: (m, p) => core.error(m, p?.title ? { title: p.title } : {}),
  group: (name, fn) => core.group(name, fn),
  write: (text) => {
    process.stdout.write(text);
  },
  setSecret: (s) => core.setSecret(s),
};
