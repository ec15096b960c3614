// Shared assertions of the tests.
import { expect } from 'vitest';
import { ParseError } from '../../src/io/errors.js';
import { StructureError } from '../../src/structure/structure.js';

/**
 * `fn` throws a ParseError (a StructureError) naming `file` and `line` whose reason matches `reason`,
 * with the message "file:line: reason" (or "file: reason" without a line).
 */
export function expectParseError(fn: () => unknown, file: string, line: number | undefined, reason: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a ParseError').toBeInstanceOf(ParseError);
  const pe = err as ParseError;
  expect(pe).toBeInstanceOf(StructureError);
  expect(pe.file).toBe(file);
  expect(pe.line).toBe(line);
  expect(pe.reason).toMatch(reason);
  expect(pe.message.startsWith(line === undefined ? `${file}: ` : `${file}:${line}: `)).toBe(true);
}

/** `fn` throws a ParseError naming `file` and `line` whose whole message matches `pattern`. */
export function expectParseErrorMessage(fn: () => unknown, file: string, line: number | undefined, pattern: RegExp): void {
  try {
    fn();
    expect.unreachable('no error');
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    expect((e as ParseError).file).toBe(file);
    expect((e as ParseError).line).toBe(line);
    expect((e as Error).message).toMatch(pattern);
  }
}
