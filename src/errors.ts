/**
 * An error the user can act on: `message` is the one line shown as the error annotation and in
 * the summary; `details` are the lines that follow it in the log (events, pod log tail, ...).
 */
export class ActionError extends Error {
  readonly details: readonly string[];
  constructor(message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'ActionError';
    this.details = details;
  }
}

/** Bad input: thrown before anything in the cluster changes. */
export class InputError extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function errorDetails(err: unknown): readonly string[] {
  return err instanceof ActionError ? err.details : [];
}
