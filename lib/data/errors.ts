/**
 * The two ways loading data goes wrong, as distinct classes so callers (and
 * tests) can tell "not installed" from "installed but damaged".
 */

/** A data set is not where it was looked for; the message says how to get it. */
export class DataNotFoundError extends Error {
  constructor(message: string, readonly searched: readonly string[] = []) {
    super(message);
    this.name = 'DataNotFoundError';
  }
}

/** A file exists but is truncated, corrupt or not in the expected format. */
export class DataFormatError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DataFormatError';
  }
}
