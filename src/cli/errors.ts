/** A mistake in the user's input: reported as one line, without a stack trace, exit code 2. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Parse an integer option, naming the option in the error. */
export function intOption(name: string, value: string, min: number, max: number): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UserError(`option ${name}: expected an integer in [${min}, ${max}], got "${value}"`);
  }
  return v;
}

/** Parse a (positive or non-negative, if asked) finite number option, naming the option in the error. */
export function numberOption(name: string, value: string, opts: { positive?: boolean; nonNegative?: boolean } = {}): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || (opts.positive && !(v > 0)) || (opts.nonNegative && !(v >= 0))) {
    throw new UserError(`option ${name}: expected ${opts.positive ? 'a positive' : opts.nonNegative ? 'a non-negative' : 'a'} number, got "${value}"`);
  }
  return v;
}

/** Parse a non-negative integer seed below 2^64, naming the option in the error. */
export function seedOption(name: string, value: string): bigint {
  if (!/^\d+$/.test(value.trim())) throw new UserError(`option ${name}: expected a non-negative integer, got "${value}"`);
  const v = BigInt(value.trim());
  if (v >= 1n << 64n) throw new UserError(`option ${name}: must be below 2^64, got ${value}`);
  return v;
}
