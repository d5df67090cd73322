/**
 * Pricing models: hand-computed lines at every boundary, then `charge` against
 * an independent model that scales every decimal to integers of 10^-15 and
 * walks the tiers with plain bigint arithmetic, on random prices from tiny to
 * just below 10^26.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../shared/decimal.js';
import { minorUnits } from './currency.js';
import { charge, type Price, type PriceTier, priceProblems, PricingModel } from './price-models.js';

const d = (text: string) => Decimal.of(text);
const tier = (upTo: string | undefined, unitPrice: string, flatPrice = '0'): PriceTier => ({
  ...(upTo === undefined ? {} : { upTo: d(upTo) }),
  unitPrice: d(unitPrice),
  flatPrice: d(flatPrice),
});

/** The invoice line's amount: exact charge, rounded half-up once to the currency's minor unit. */
const line = (price: Price, quantity: string, currency = 'USD') => charge(price, d(quantity)).amount.toFixed(minorUnits(currency));

describe('PER_UNIT', () => {
  const price: Price = { model: PricingModel.PerUnit, unitPrice: d('0.002'), freeQuota: d('1000') };

  it.each([
    ['0', '0', '0.00'],
    ['500', '0', '0.00'], // free quota larger than usage
    ['1000', '0', '0.00'],
    ['1500', '500', '1.00'],
    ['1000.25', '0.25', '0.00'], // 0.0005 rounds down to cents
  ])('bills %s as %s billable units, %s', (quantity, billable, amount) => {
    expect(charge(price, d(quantity)).billableQuantity.toString()).toBe(billable);
    expect(line(price, quantity)).toBe(amount);
  });

  it('rounds the exact amount half-up to the currency', () => {
    expect(charge(price, d('1000.25')).amount.toString()).toBe('0.0005');
    expect(line(price, '1000.25', 'BHD')).toBe('0.001');
    expect(line(price, '1250', 'JPY')).toBe('1'); // 0.5 yen
  });
});

describe('GRADUATED', () => {
  const price: Price = { model: PricingModel.Graduated, tiers: [tier('1000', '0'), tier('5000', '0.002', '1'), tier(undefined, '0.001', '5')] };

  it.each([
    ['0', '0'],
    ['500', '0'],
    ['1000', '0'], // exactly at upTo: still the free tier, the second not reached
    ['1000.5', '1.001'], // 0.5 × 0.002 + 1
    ['3000', '5'], // 2000 × 0.002 + 1
    ['5000', '9'], // 4000 × 0.002 + 1
    ['5001', '14.001'], // 9 + 1 × 0.001 + 5
    ['20000', '29'], // 9 + 15000 × 0.001 + 5
  ])('charges %s exactly %s', (quantity, amount) => {
    expect(charge(price, d(quantity)).amount.toString()).toBe(amount);
    expect(charge(price, d(quantity)).billableQuantity.toString()).toBe(quantity);
  });

  it('charges a flat price only once its tier is reached, and none at zero usage', () => {
    const flat: Price = { model: PricingModel.Graduated, tiers: [tier('10', '1', '10'), tier(undefined, '0.5', '3')] };
    expect(line(flat, '0')).toBe('0.00');
    expect(line(flat, '0.1')).toBe('10.10');
    expect(line(flat, '10')).toBe('20.00');
    expect(line(flat, '10.01')).toBe('23.01'); // 20 + 0.005 + 3, half-up
    expect(line(flat, '10.01', 'JPY')).toBe('23');
    expect(line(flat, '10.01', 'BHD')).toBe('23.005');
  });

  it('prices quantities beyond the last tier at its rate', () => {
    const bounded: Price = { model: PricingModel.Graduated, tiers: [tier('10', '1'), tier('20', '0.5')] };
    expect(line(bounded, '20')).toBe('15.00');
    expect(line(bounded, '30')).toBe('20.00');
  });
});

describe('VOLUME', () => {
  const price: Price = { model: PricingModel.Volume, tiers: [tier('100', '1'), tier('1000', '0.8', '10'), tier(undefined, '0.5', '50')] };

  it.each([
    ['0', '0'],
    ['0.25', '0.25'],
    ['100', '100'], // exactly at upTo: the first tier
    ['100.5', '90.4'], // 100.5 × 0.8 + 10
    ['1000', '810'],
    ['1000.001', '550.0005'], // 1000.001 × 0.5 + 50
  ])('charges %s exactly %s', (quantity, amount) => {
    expect(charge(price, d(quantity)).amount.toString()).toBe(amount);
    expect(charge(price, d(quantity)).billableQuantity.toString()).toBe(quantity);
  });

  it('rounds once, half-up, to the currency', () => {
    expect(line(price, '1000.001')).toBe('550.00');
    expect(line(price, '1000.001', 'BHD')).toBe('550.001');
    expect(line(price, '1000.001', 'JPY')).toBe('550');
  });

  it('charges no flat price at zero usage, and the first tier’s just above it', () => {
    const flat: Price = { model: PricingModel.Volume, tiers: [tier('10', '0', '5'), tier(undefined, '1', '0')] };
    expect(line(flat, '0')).toBe('0.00');
    expect(line(flat, '0.001')).toBe('5.00');
    expect(line(flat, '10.5')).toBe('10.50');
  });

  it('prices quantities beyond the last tier at its rate', () => {
    const bounded: Price = { model: PricingModel.Volume, tiers: [tier('10', '1'), tier('20', '0.5', '2')] };
    expect(line(bounded, '30')).toBe('17.00');
  });
});

describe('PACKAGE', () => {
  const price: Price = { model: PricingModel.Package, packageSize: d('100'), packagePrice: d('5'), freeQuota: d('0') };

  it.each([
    ['0', '0.00'],
    ['0.001', '5.00'], // any usage starts a package
    ['1', '5.00'],
    ['100', '5.00'], // exactly one package
    ['100.000001', '10.00'],
    ['300', '15.00'], // exactly three
    ['300.5', '20.00'],
  ])('charges %s as %s', (quantity, amount) => {
    expect(line(price, quantity)).toBe(amount);
  });

  it('counts packages after the free quota', () => {
    const withFree: Price = { ...price, freeQuota: d('50') };
    expect(charge(withFree, d('40'))).toEqual({ billableQuantity: Decimal.zero, amount: Decimal.zero });
    expect(line(withFree, '50')).toBe('0.00');
    expect(charge(withFree, d('150')).billableQuantity.toString()).toBe('100');
    expect(line(withFree, '150')).toBe('5.00');
    expect(line(withFree, '150.5')).toBe('10.00');
  });

  it('divides by fractional package sizes exactly', () => {
    const halves: Price = { model: PricingModel.Package, packageSize: d('0.5'), packagePrice: d('0.25'), freeQuota: d('0') };
    expect(line(halves, '12.5')).toBe('6.25'); // 25 packages
    expect(line(halves, '12.6')).toBe('6.50'); // 26
    const thirds: Price = { model: PricingModel.Package, packageSize: d('0.3'), packagePrice: d('0.0125'), freeQuota: d('0') };
    expect(charge(thirds, d('0.9')).amount.toString()).toBe('0.0375'); // exactly 3, no float drift
    expect(line(thirds, '0.9')).toBe('0.04');
    expect(line(thirds, '0.3', 'BHD')).toBe('0.013');
  });
});

describe('charge', () => {
  it('refuses a negative quantity', () => {
    expect(() => charge({ model: PricingModel.PerUnit, unitPrice: d('1'), freeQuota: d('0') }, d('-1'))).toThrow(RangeError);
  });
});

describe('priceProblems', () => {
  const valid: Price[] = [
    { model: PricingModel.PerUnit, unitPrice: d('0.000000000001'), freeQuota: d('99999999999999999999999999.999999999999') },
    { model: PricingModel.Graduated, tiers: [tier(undefined, '1')] },
    { model: PricingModel.Volume, tiers: [tier('1', '0'), tier('1.5', '2', '3'), tier('20', '1')] }, // the last may have an upTo
    { model: PricingModel.Graduated, tiers: Array.from({ length: 20 }, (_, i) => tier(i === 19 ? undefined : String(i + 1), '1')) },
    { model: PricingModel.Package, packageSize: d('0.5'), packagePrice: d('0'), freeQuota: d('0') },
  ];
  it.each(valid.map((price) => [price.model, price]))('accepts a valid %s price', (_, price) => {
    expect(priceProblems(price)).toEqual([]);
  });

  it.each<[string, Price, { field: string; message: string }[]]>([
    ['no tiers', { model: PricingModel.Graduated, tiers: [] }, [{ field: 'tiers', message: 'must have at least one tier' }]],
    [
      '21 tiers',
      { model: PricingModel.Volume, tiers: Array.from({ length: 21 }, (_, i) => tier(String(i + 1), '1')) },
      [{ field: 'tiers', message: 'must have at most 20 tiers' }],
    ],
    [
      'a missing upTo before the last tier',
      { model: PricingModel.Graduated, tiers: [tier('10', '1'), tier(undefined, '1'), tier(undefined, '1')] },
      [{ field: 'tiers[1].up_to', message: 'is required on every tier but the last' }],
    ],
    [
      'upTo not strictly ascending',
      { model: PricingModel.Volume, tiers: [tier('10', '1'), tier('10', '1'), tier('5', '1'), tier(undefined, '1')] },
      [
        { field: 'tiers[1].up_to', message: 'must be greater than tiers[0].up_to' },
        { field: 'tiers[2].up_to', message: 'must be greater than tiers[1].up_to' },
      ],
    ],
    ['a first tier up to 0', { model: PricingModel.Graduated, tiers: [tier('0', '1'), tier(undefined, '1')] }, [{ field: 'tiers[0].up_to', message: 'must be greater than 0' }]],
    [
      'negative, too precise and too large tier amounts',
      { model: PricingModel.Graduated, tiers: [tier('100000000000000000000000000', '-1', '0.0000000000001'), tier(undefined, '1')] },
      [
        { field: 'tiers[0].up_to', message: 'must be below 10^26' },
        { field: 'tiers[0].unit_price', message: 'must be ≥ 0' },
        { field: 'tiers[0].flat_price', message: 'must have at most 12 decimal places' },
      ],
    ],
    [
      'a bad per-unit price',
      { model: PricingModel.PerUnit, unitPrice: d('-0.01'), freeQuota: d('1.0000000000001') },
      [
        { field: 'unit_price', message: 'must be ≥ 0' },
        { field: 'free_quota', message: 'must have at most 12 decimal places' },
      ],
    ],
    ['a package of 0', { model: PricingModel.Package, packageSize: d('0'), packagePrice: d('1'), freeQuota: d('0') }, [{ field: 'package_size', message: 'must be greater than 0' }]],
    [
      'a negative package and price',
      { model: PricingModel.Package, packageSize: d('-1'), packagePrice: d('-1'), freeQuota: d('-1') },
      [
        { field: 'package_size', message: 'must be greater than 0' },
        { field: 'package_price', message: 'must be ≥ 0' },
        { field: 'free_quota', message: 'must be ≥ 0' },
      ],
    ],
    ['an unknown model', { model: 'FLAT' } as unknown as Price, [{ field: 'model', message: 'must be one of PER_UNIT, GRADUATED, VOLUME, PACKAGE' }]],
  ])('names every problem with %s', (_, price, problems) => {
    expect(priceProblems(price)).toEqual(problems);
  });
});

// ---- The independent model: every decimal an integer count of 10^-15, tiers walked with bigints. ----

const SCALE = 15;
const ONE = 10n ** BigInt(SCALE);

/** A non-negative decimal's exact count of 10^-15 (or of 10^-30 with `scale` 30); throws if it does not fit. */
function toUnits(value: Decimal, scale = SCALE): bigint {
  const [whole, fraction = ''] = value.toString().split('.');
  if (fraction.length > scale) throw new Error(`${value.toString()} has more than ${scale} decimal places`);
  return BigInt(whole! + fraction.padEnd(scale, '0'));
}

/** The decimal `units` × 10^-scale. */
function fromUnits(units: bigint, scale: number): Decimal {
  if (scale === 0) return Decimal.of(units);
  const digits = units.toString().padStart(scale + 1, '0');
  return Decimal.of(`${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`);
}

/** Amount in 10^-30 (quantity × price scales); for the rounded line, `toMinor`. */
function modelAmount(price: Price, quantity: Decimal): bigint {
  const q = toUnits(quantity);
  const flat = (t: PriceTier) => toUnits(t.flatPrice) * ONE;
  switch (price.model) {
    case 'PER_UNIT': {
      const billable = q > toUnits(price.freeQuota) ? q - toUnits(price.freeQuota) : 0n;
      return billable * toUnits(price.unitPrice);
    }
    case 'PACKAGE': {
      const billable = q > toUnits(price.freeQuota) ? q - toUnits(price.freeQuota) : 0n;
      const size = toUnits(price.packageSize);
      const packages = (billable + size - 1n) / size;
      return packages * toUnits(price.packagePrice) * ONE;
    }
    case 'GRADUATED': {
      let amount = 0n;
      let lower = 0n;
      price.tiers.forEach((t, i) => {
        const last = i === price.tiers.length - 1;
        const upper = last ? undefined : toUnits(t.upTo!);
        if (q > lower) {
          const inTier = (upper === undefined || q < upper ? q : upper) - lower;
          amount += inTier * toUnits(t.unitPrice) + flat(t);
        }
        if (upper !== undefined) lower = upper;
      });
      return amount;
    }
    case 'VOLUME': {
      if (q === 0n) return 0n;
      // The tier index is how many bounded tiers lie wholly below q.
      const below = price.tiers.slice(0, -1).filter((t) => toUnits(t.upTo!) < q).length;
      const chosen = price.tiers[below]!;
      return q * toUnits(chosen.unitPrice) + flat(chosen);
    }
  }
}

/** 10^-30 units rounded half-up (all amounts are ≥ 0) to integer minor units. */
function toMinor(exact: bigint, minor: number): bigint {
  const divisor = 10n ** BigInt(2 * SCALE - minor);
  return exact / divisor + ((exact % divisor) * 2n >= divisor ? 1n : 0n);
}

/** Decimal's rounding of the same amount, read back as integer minor units. */
function roundedMinor(amount: Decimal, minor: number): bigint {
  return BigInt(amount.roundHalfUp(minor).toFixed(minor).replace('.', ''));
}

/** Non-negative decimals with `places` digits after the point, from tiny to just below 10^`digits`. */
const decimal = (places: number, digits: number) =>
  fc
    .oneof(
      fc.bigInt({ min: 0n, max: 10n ** BigInt(places + 2) }),
      fc.bigInt({ min: 0n, max: 10n ** BigInt(places + 6) }),
      fc.bigInt({ min: 0n, max: 10n ** BigInt(places + digits) - 1n }),
    )
    .map((units) => fromUnits(units, places));

const anyPlaces = fc.integer({ min: 0, max: 12 });
const amount = anyPlaces.chain((places) => decimal(places, 26));
/** Quantities of any scale (here up to 15 places) up to 10^25. */
const quantity = fc.integer({ min: 0, max: SCALE }).chain((places) => decimal(places, 25));

/** 1–20 tiers: strictly ascending positive upTos, the last with none or with one. */
const tiers = fc
  .record({
    bounds: fc.uniqueArray(amount, { minLength: 1, maxLength: 20, comparator: (a, b) => a.cmp(b) === 0 }),
    lastBounded: fc.boolean(),
    prices: fc.array(fc.tuple(amount, fc.oneof(fc.constant(Decimal.zero), amount)), { minLength: 20, maxLength: 20 }),
  })
  .map(({ bounds, lastBounded, prices }): PriceTier[] => {
    const upTos = bounds.filter((b) => !b.isZero()).sort((a, b) => a.cmp(b));
    const count = Math.max(1, lastBounded ? upTos.length : upTos.length + 1);
    return Array.from({ length: count }, (_, i) => ({
      ...(upTos[i] === undefined ? {} : { upTo: upTos[i] }),
      unitPrice: prices[i]![0],
      flatPrice: prices[i]![1],
    }));
  });

/** Quantities that land on and next to the tiers' bounds, as well as anywhere. */
const quantityFor = (priceTiers: readonly PriceTier[]) => {
  const bounds = priceTiers.flatMap((t) => (t.upTo ? [t.upTo] : []));
  const epsilon = d('0.000000000000001');
  const near = bounds.flatMap((b) => [b, b.add(epsilon), Decimal.max(Decimal.zero, b.sub(epsilon))]);
  return near.length > 0 ? fc.oneof(quantity, fc.constantFrom(...near), fc.constant(Decimal.zero)) : fc.oneof(quantity, fc.constant(Decimal.zero));
};

const perUnitPrice = fc.record({ model: fc.constant(PricingModel.PerUnit), unitPrice: amount, freeQuota: fc.oneof(fc.constant(Decimal.zero), amount) });
const packagePrice = fc.record({
  model: fc.constant(PricingModel.Package),
  packageSize: amount.filter((s) => !s.isZero()),
  packagePrice: amount,
  freeQuota: fc.oneof(fc.constant(Decimal.zero), amount),
});
const tieredPrice = (model: 'GRADUATED' | 'VOLUME') => tiers.map((t): Price => ({ model, tiers: t }));

const withQuantity = (prices: fc.Arbitrary<Price>) =>
  prices.chain((price) => fc.tuple(fc.constant(price), 'tiers' in price ? quantityFor(price.tiers) : quantity));

const runs = { numRuns: 1500 };

describe('charge against the independent model', () => {
  it.each<[string, fc.Arbitrary<Price>]>([
    ['PER_UNIT', perUnitPrice],
    ['GRADUATED', tieredPrice('GRADUATED')],
    ['VOLUME', tieredPrice('VOLUME')],
    ['PACKAGE', packagePrice],
  ])('%s: exactly, and rounded to 0, 2 and 3 minor digits', (_, prices) => {
    fc.assert(
      fc.property(withQuantity(prices), ([price, q]) => {
        expect(priceProblems(price)).toEqual([]);
        const charged = charge(price, q);
        const exact = modelAmount(price, q);
        expect(toUnits(charged.amount, 2 * SCALE)).toBe(exact);
        for (const minor of [0, 2, 3]) expect(roundedMinor(charged.amount, minor)).toBe(toMinor(exact, minor));
      }),
      runs,
    );
  });

  it('GRADUATED: the sum of each tier priced per unit above the tier before it, plus the flat prices reached', () => {
    fc.assert(
      fc.property(withQuantity(tieredPrice('GRADUATED')), ([price, q]) => {
        const priceTiers = (price as { tiers: readonly PriceTier[] }).tiers;
        let sum = Decimal.zero;
        priceTiers.forEach((t, i) => {
          const lower = i === 0 ? Decimal.zero : priceTiers[i - 1]!.upTo!;
          if (q.cmp(lower) <= 0) return;
          const last = i === priceTiers.length - 1;
          const capped = last || q.cmp(t.upTo!) <= 0 ? q : t.upTo!;
          sum = sum.add(charge({ model: PricingModel.PerUnit, unitPrice: t.unitPrice, freeQuota: lower }, capped).amount).add(t.flatPrice);
        });
        expect(charge(price, q).amount.cmp(sum)).toBe(0);
      }),
      runs,
    );
  });
});

describe('charge properties', () => {
  const twoQuantities = (prices: fc.Arbitrary<Price>) =>
    prices.chain((price) => {
      const q = 'tiers' in price ? quantityFor(price.tiers) : quantity;
      return fc.tuple(fc.constant(price), q, q);
    });

  it.each<[string, fc.Arbitrary<Price>]>([
    ['PER_UNIT', perUnitPrice],
    ['GRADUATED', tieredPrice('GRADUATED')],
  ])('%s amounts never decrease as the quantity grows', (_, prices) => {
    fc.assert(
      fc.property(twoQuantities(prices), ([price, a, b]) => {
        const [low, high] = a.cmp(b) <= 0 ? [a, b] : [b, a];
        expect(charge(price, low).amount.cmp(charge(price, high).amount)).toBeLessThanOrEqual(0);
        for (const minor of [0, 2, 3]) expect(charge(price, low).amount.roundHalfUp(minor).cmp(charge(price, high).amount.roundHalfUp(minor))).toBeLessThanOrEqual(0);
      }),
      runs,
    );
  });

  it('VOLUME: within a tier, every unit costs that tier’s rate, on top of its flat price', () => {
    fc.assert(
      fc.property(
        tiers.chain((t) => fc.tuple(fc.constant(t), fc.nat({ max: t.length - 1 }), fc.bigInt({ min: 1n, max: ONE }), fc.bigInt({ min: 1n, max: ONE }))),
        ([priceTiers, index, a, b]) => {
          // Two quantities in tier `index`: fractions of (lower, upper], or above lower when it is the last.
          const lower = index === 0 ? Decimal.zero : priceTiers[index - 1]!.upTo!;
          const last = index === priceTiers.length - 1;
          const width = last ? d('1000') : priceTiers[index]!.upTo!.sub(lower);
          const at = (fraction: bigint) => lower.add(width.mul(fromUnits(fraction, SCALE)));
          const price: Price = { model: PricingModel.Volume, tiers: priceTiers };
          const chosen = priceTiers[index]!;
          for (const q of [at(a), at(b)]) {
            expect(charge(price, q).amount.cmp(q.mul(chosen.unitPrice).add(chosen.flatPrice))).toBe(0);
          }
          expect(charge(price, at(a)).amount.sub(charge(price, at(b)).amount).cmp(at(a).sub(at(b)).mul(chosen.unitPrice))).toBe(0);
        },
      ),
      runs,
    );
  });
});
