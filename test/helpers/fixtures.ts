// Test fixtures (test/fixtures/…): paths and contents.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of test/fixtures/, with a trailing slash. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Absolute path of a file below test/fixtures/. */
export const fixturePath = (relative: string): string => FIXTURES + relative;

/** Text of a file below test/fixtures/. */
export const readFixture = (relative: string): string => readFileSync(FIXTURES + relative, 'utf8');

/** Parsed JSON of a file below test/fixtures/. */
export const readFixtureJson = <T = any>(relative: string): T => JSON.parse(readFixture(relative)) as T;

/** Text of a structure file in test/fixtures/structures/. */
export const structureFixture = (name: string): string => readFixture('structures/' + name);
