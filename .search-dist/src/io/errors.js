// Errors raised by the structure-file parsers. Every ParseError names the file, the 1-based line and
// the reason, formatted as "FILE:LINE: reason" (line omitted when the problem is not tied to one line).
import { StructureError } from '../structure/structure.js';
export class ParseError extends StructureError {
    file;
    /** 1-based line number, or undefined for whole-file problems. */
    line;
    reason;
    constructor(file, line, reason) {
        super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
        this.name = 'ParseError';
        this.file = file;
        this.line = line;
        this.reason = reason;
    }
}
/** The ParseFail of `file`. Annotate the constant (`const fail: ParseFail = …`) so that TypeScript sees `never`. */
export function parseFailer(file) {
    return (line, reason) => {
        throw new ParseError(file, line, reason);
    };
}
/** Shorten a source line for inclusion in an error message. */
export function quoteLine(s, max = 60) {
    const t = s.trim();
    return JSON.stringify(t.length > max ? t.slice(0, max - 1) + '…' : t);
}
/**
 * Parse a floating-point number written in Fortran/C style: "1.5", "-2e-3", "1.5D+02" (Fortran exponent).
 * Returns NaN for anything else (so "1.0abc", "", "0x10", "Infinity" are all rejected).
 */
export function parseReal(s) {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/.test(s))
        return NaN;
    return Number(s.replace(/[dD]/, 'e'));
}
/** Parse a decimal integer ("12", "-3", "+4"); NaN otherwise. */
export function parseInteger(s) {
    if (!/^[+-]?\d+$/.test(s))
        return NaN;
    return Number(s);
}
/**
 * Format a number so that reading it back gives the same float64 exactly (shortest round-trip
 * representation, as JavaScript's Number → string). Integers keep a ".0" so that readers that
 * distinguish integer and real tokens (extended XYZ) see a real.
 */
export function formatReal(x) {
    if (!Number.isFinite(x))
        throw new RangeError(`cannot write non-finite number ${x}`);
    if (Object.is(x, -0))
        return '-0.0';
    const s = String(x);
    return /[.eE]/.test(s) ? s : s + '.0';
}
/** Split text into lines (LF, CRLF or CR line ends). */
export function splitLines(text) {
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '')
        lines.pop();
    return lines;
}
