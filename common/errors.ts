/**
 * An error in what a user gave: a config, a flag, an env id, a file name. Its
 * message names what was wrong and what was expected; `rad` exits with code 2
 * for it (1 is for failures of the work itself).
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** A value as an error message shows it: strings quoted, so that "3" reads apart from 3; numbers as numbers (NaN, not JSON's null). */
export function showValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}
