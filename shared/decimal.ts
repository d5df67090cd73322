/**
 * Exact decimal numbers for quantities and money: an integer count of units of
 * 10^-scale, kept in a bigint. No float ever takes part in the arithmetic.
 */

const literal = /^([+-])?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** A number in JSON's grammar (RFC 8259 §6): no sign but `-`, no leading zeros, no bare point. */
const jsonNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A number exactly as the client wrote it (`5`, `0.000000000001`, `1.5e3`),
 * decided once at the edge that reads the wire: the lossless JSON parser of
 * ingest, or an RPC's decimal string. Domain code turns it into a Decimal and
 * checks its range; a value that was not a number on the wire is never one of
 * these, so a validator can still say it must be a number.
 */
export class NumberLiteral {
  private constructor(
    /** The literal's text, e.g. `12.50`. */
    readonly text: string,
  ) {}

  /** `text` as a literal when it is a number in JSON's grammar; undefined otherwise (`' 5'`, `'+5'`, `'05'`, `'1.'`). */
  static parse(text: string): NumberLiteral | undefined {
    return jsonNumber.test(text) ? new NumberLiteral(text) : undefined;
  }

  /** Like `parse`, but throws on anything that is not a number literal. */
  static of(text: string): NumberLiteral {
    const parsed = NumberLiteral.parse(text);
    if (!parsed) throw new RangeError(`not a number literal: ${text}`);
    return parsed;
  }

  /** The exact value; undefined only for an exponent beyond ±1000 (see {@link Decimal.parse}). */
  toDecimal(): Decimal | undefined {
    return Decimal.parse(this.text);
  }

  toString(): string {
    return this.text;
  }
}

export class Decimal {
  private constructor(
    /** The value times 10^scale. */
    readonly units: bigint,
    /** Digits after the decimal point; never negative. */
    readonly scale: number,
  ) {}

  static readonly zero = new Decimal(0n, 0);

  /** Parses a plain or exponent literal (`12`, `-0.50`, `1.5e3`); undefined when it is not one. */
  static parse(text: string): Decimal | undefined {
    const match = literal.exec(text.trim());
    if (!match) return undefined;
    const [, sign, whole, fraction = '', exponentText = '0'] = match;
    const exponent = Number(exponentText);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) return undefined;
    let units = BigInt(`${whole}${fraction}`);
    let scale = fraction.length - exponent;
    if (scale < 0) {
      units *= 10n ** BigInt(-scale);
      scale = 0;
    }
    return new Decimal(sign === '-' ? -units : units, scale).normalized();
  }

  /** Like `parse`, but throws on anything that is not a decimal literal. */
  static of(value: string | number | bigint): Decimal {
    const parsed = Decimal.parse(String(value));
    if (!parsed) throw new RangeError(`not a decimal number: ${String(value)}`);
    return parsed;
  }

  /** Digits after the point, once trailing zeros are dropped. */
  get decimalPlaces(): number {
    return this.scale;
  }

  /** Digits before the point (0 for values below 1). */
  get integerDigits(): number {
    const whole = (this.units < 0n ? -this.units : this.units) / 10n ** BigInt(this.scale);
    return whole === 0n ? 0 : whole.toString().length;
  }

  isNegative(): boolean {
    return this.units < 0n;
  }

  isZero(): boolean {
    return this.units === 0n;
  }

  add(other: Decimal): Decimal {
    const [a, b, scale] = Decimal.aligned(this, other);
    return new Decimal(a + b, scale).normalized();
  }

  sub(other: Decimal): Decimal {
    const [a, b, scale] = Decimal.aligned(this, other);
    return new Decimal(a - b, scale).normalized();
  }

  negate(): Decimal {
    return new Decimal(-this.units, this.scale);
  }

  mul(other: Decimal): Decimal {
    return new Decimal(this.units * other.units, this.scale + other.scale).normalized();
  }

  /** The smallest integer ≥ this ÷ `divisor`, exactly (7 ÷ 2 → 4, 0.5 ÷ 0.25 → 2, -7 ÷ 2 → -3); throws on a zero divisor. */
  divCeil(divisor: Decimal): Decimal {
    if (divisor.isZero()) throw new RangeError('division by zero');
    const [a, b] = Decimal.aligned(this, divisor);
    // bigint division truncates toward zero, which is the ceiling only when the quotient is negative.
    const truncated = a / b;
    const ceiling = a % b !== 0n && a < 0n === b < 0n ? truncated + 1n : truncated;
    return new Decimal(ceiling, 0);
  }

  /** -1, 0 or 1. */
  cmp(other: Decimal): number {
    const [a, b] = Decimal.aligned(this, other);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  static max(a: Decimal, b: Decimal): Decimal {
    return a.cmp(b) >= 0 ? a : b;
  }

  /** Rounded to `places` digits after the point, halves away from zero (0.125 → 0.13, -0.125 → -0.13). */
  roundHalfUp(places: number): Decimal {
    if (this.scale <= places) return this;
    const divisor = 10n ** BigInt(this.scale - places);
    const magnitude = this.units < 0n ? -this.units : this.units;
    let rounded = magnitude / divisor;
    if ((magnitude % divisor) * 2n >= divisor) rounded += 1n;
    return new Decimal(this.units < 0n ? -rounded : rounded, places).normalized();
  }

  /** Plain notation, no exponent, no trailing zeros (`1500`, `0.25`). */
  toString(): string {
    return this.toFixed(this.scale);
  }

  /** Plain notation with exactly `places` digits after the point, rounding half up when needed. */
  toFixed(places: number): string {
    const value = this.roundHalfUp(places);
    const units = value.units * 10n ** BigInt(places - value.scale);
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(places + 1, '0');
    const whole = digits.slice(0, digits.length - places);
    const fraction = places > 0 ? `.${digits.slice(digits.length - places)}` : '';
    return `${negative ? '-' : ''}${whole}${fraction}`;
  }

  /** A float view, for display only (the GraphQL Float fields). */
  toNumber(): number {
    return Number(this.toString());
  }

  toJSON(): string {
    return this.toString();
  }

  private normalized(): Decimal {
    let { units, scale } = this;
    while (scale > 0 && units % 10n === 0n) {
      units /= 10n;
      scale -= 1;
    }
    return units === this.units && scale === this.scale ? this : new Decimal(units, scale);
  }

  private static aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
    const scale = Math.max(a.scale, b.scale);
    return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
  }
}
