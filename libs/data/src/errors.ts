/** One error type for every dataset problem, so callers can tell "fix your data" from a bug. */

export type DatasetProblem = 'missing' | 'malformed' | 'invalid_request';

export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    readonly problem: DatasetProblem,
    /** The file or directory at fault. */
    readonly path: string,
    detail: string,
    /** How to obtain correct data. */
    readonly hint: string,
  ) {
    super(`${detail} (${path}). ${hint}`);
  }
}
