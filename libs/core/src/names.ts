/**
 * Names that reach storage keys, paths or logs: ref names, sweep and spec names, checkpoint ids. They are
 * checked against an allowed character set and a length bound, so a name is only ever a name: no `..`, no
 * leading or doubled `/`, nothing a file system or object store would read as a path step.
 */

/** A bad name or id from a caller; servers answer it with INVALID_ARGUMENT. */
export class InvalidNameError extends Error {
  override name = 'InvalidNameError';
}

export const MAX_NAME_LENGTH = 200;
const MAX_NAME_SEGMENTS = 8;
/** Each `/`-separated segment starts with a letter or digit, so `.` and `..` can never be one. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CHECKPOINT_ID = /^[0-9a-f]{64}$/;

/** How a rejected value is quoted in errors: bounded, so a huge input never makes a huge message. */
export function quoteBounded(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value) + (value.length > max ? ` (${value.length} chars)` : '');
}

/** A single name: letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 200 characters. */
export function checkName(kind: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidNameError(`${kind} is required`);
  if (value.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`${kind} ${quoteBounded(value)} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (!SEGMENT.test(value)) {
    throw new InvalidNameError(
      `${kind} ${quoteBounded(value)} must start with a letter or digit and hold only letters, digits, ".", "_" and "-"`,
    );
  }
  return value;
}

/** A hierarchical name such as `resume/ticket_1`: up to 8 segments, each a valid name, joined by single `/`. */
export function checkPathName(kind: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidNameError(`${kind} is required`);
  if (value.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`${kind} ${quoteBounded(value)} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  const segments = value.split('/');
  if (segments.length > MAX_NAME_SEGMENTS || !segments.every((s) => SEGMENT.test(s))) {
    throw new InvalidNameError(
      `${kind} ${quoteBounded(value)} must be up to ${MAX_NAME_SEGMENTS} "/"-separated parts, each starting with a letter or digit and holding only letters, digits, ".", "_" and "-"`,
    );
  }
  return value;
}

/** A checkpoint id: the SHA-256 of its bytes, 64 lowercase hex digits. */
export function checkCheckpointId(value: string, kind = 'checkpoint id'): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidNameError(`${kind} is required`);
  if (!CHECKPOINT_ID.test(value)) throw new InvalidNameError(`${kind} ${quoteBounded(value)} is not a checkpoint id (64 lowercase hex digits)`);
  return value;
}
