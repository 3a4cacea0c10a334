import path from 'node:path';
import {
  checkDefinition,
  DefinitionInvalid,
  LevyDefinition,
  parseDefinition,
  readDefinitionFile,
  versionContent,
} from '../../src/modules/levy-types/definition';
import { describeLine } from '../../src/modules/levy-types/describe';
import { compileTariff, TariffRule } from '../../src/modules/levy-types/tariff';

const file = (code: string) => readDefinitionFile(path.join(__dirname, '..', '..', 'levies', `${code}.yaml`)) as Record<string, any>;

/** The field errors a definition gets, or [] when it is accepted. */
function errorsOf(input: unknown): Array<{ field: string; reason: string }> {
  try {
    checkDefinition(parseDefinition(input));
    return [];
  } catch (e) {
    if (e instanceof DefinitionInvalid) return e.errors;
    throw e;
  }
}

const pasar = () => structuredClone(file('retribusi-pasar'));
const reklame = () => structuredClone(file('pajak-reklame'));
const withTariff = (base: Record<string, any>, tariff: Record<string, unknown>) => ({ ...base, tariff });

describe('The definition files in levies/ are accepted as they are', () => {
  it.each(['retribusi-menara', 'pajak-reklame', 'retribusi-pasar'])('%s passes every check, including the dry run', (code) => {
    expect(errorsOf(file(code))).toEqual([]);
  });
});

describe('Every tariff kind runs through the one exact engine', () => {
  const whole = { mode: 'half_up', unit: 1 } as const;

  it('A flat rule bills its amount', () => {
    const c = compileTariff({ kind: 'flat', amount: 35000, description: 'tarif tetap {amount:rupiah}' }, whole);
    const calc = c({});
    expect(calc.amount).toBe(35000);
    expect(describeLine('tarif tetap {amount:rupiah}', calc)).toBe('tarif tetap Rp35.000');
  });

  it('A table looks up a composite key and multiplies by the area', () => {
    const rule = pasar().tariff as TariffRule;
    const c = compileTariff(rule, { mode: 'half_up', unit: 100 });
    expect(c({ stall_type: 'kios', market_class: 'II', area_m2: 7.25 })).toMatchObject({
      inputs: { rate_per_m2: '35000', area_m2: '7.25' },
      labels: { rate_per_m2: 'kios pasar kelas II' },
      unrounded: '253750',
      amount: 253_800,
    });
    expect(() => c({ stall_type: 'kios', market_class: 'IV', area_m2: 1 })).toThrow('no rate_per_m2 for stall_type = kios, market_class = IV');
  });

  it('A rate applies to its base, and the base is kept in the trace', () => {
    const c = compileTariff(reklame().tariff as TariffRule, { mode: 'half_up', unit: 1 });
    const calc = c({ reklame_type: 'baliho', area_m2: 15, sides: 1, road_class: 'II', duration_months: 3, location: 'x' });
    expect(calc.steps).toEqual([{ name: 'base', expression: 'area_m2 * sides * value_per_m2_month * road_coef * duration_months', value: '1350000' }]);
    expect(calc).toMatchObject({ expression: 'base * rate', unrounded: '337500', amount: 337_500 });
  });

  it('A minimum raises a small line and a maximum caps a large one, and the trace says so', () => {
    const rule: TariffRule = { kind: 'rate', rate: '0.1', base: 'x', attributes: ['x'], minimum: 5000, maximum: 100000, description: '10% × {x:rupiah}' };
    const c = compileTariff(rule, { mode: 'half_up', unit: 1 });
    expect(c({ x: 1000 })).toMatchObject({ amount: 5000, bounded: { by: 'minimum', rounded: 100 } });
    expect(c({ x: 5_000_000 })).toMatchObject({ amount: 100000, bounded: { by: 'maximum', rounded: 500000 } });
    expect(c({ x: 200_000 }).bounded).toBeUndefined();
    expect(describeLine(rule.description, c({ x: 5_000_000 }))).toBe('10% × Rp5.000.000; dikenakan tarif maksimum Rp100.000');
  });

  it('Formula steps are evaluated in order, each seeing only the names before it', () => {
    const rule: TariffRule = {
      kind: 'formula',
      constants: { unit_price: 10000 },
      attributes: ['area'],
      steps: [
        { name: 'gross', expression: 'area * unit_price' },
        { name: 'net', expression: 'gross - 5000' },
      ],
      expression: 'max(net, 0)',
      description: '',
    };
    expect(compileTariff(rule, { mode: 'down', unit: 1 })({ area: 3 }).steps?.map((s) => s.value)).toEqual(['30000', '25000']);
    const cyclic: TariffRule = { ...rule, steps: [{ name: 'a', expression: 'b + 1' }, { name: 'b', expression: 'a + 1' }] };
    expect(() => compileTariff(cyclic, { mode: 'down', unit: 1 })).toThrow('unknown name b in formula');
  });
});

describe('A definition is refused with the field and the reason', () => {
  const cases: Array<[string, () => unknown, string, RegExp]> = [
    ['a formula that does not parse', () => withTariff(reklame(), { ...reklame().tariff, base: 'area_m2 * (sides' }), 'tariff.base', /does not parse/],
    ['a formula naming something undefined', () => withTariff(pasar(), { ...pasar().tariff, expression: 'rate_per_m2 * area_m2 * zone_coef' }), 'tariff.expression', /unknown name zone_coef/],
    ['a formula that defines a function (a way to loop)', () => withTariff(pasar(), { ...pasar().tariff, expression: 'f(x) = f(x)' }), 'tariff.expression', /not allowed/],
    ['a formula with a power', () => withTariff(pasar(), { ...pasar().tariff, expression: 'rate_per_m2 ^ 2' }), 'tariff.expression', /operator \^ is not allowed/],
    ['a formula longer than 2,000 characters', () => withTariff(pasar(), { ...pasar().tariff, expression: `rate_per_m2${' + 1'.repeat(600)}` }), 'tariff.expression', /<=2000 characters/],
    ['a formula with too many terms', () => withTariff(pasar(), { ...pasar().tariff, expression: `rate_per_m2${'+1'.repeat(300)}` }), 'tariff.expression', /more than 400 terms/],
    [
      'a division by zero in the dry run',
      () => withTariff(pasar(), { ...pasar().tariff, expression: 'rate_per_m2 * area_m2 / (area_m2 - 12)' }),
      'sample_objects[0]',
      /division by zero/,
    ],
    ['a rate rule with a constant named rate', () => withTariff(reklame(), { ...reklame().tariff, constants: { value_per_m2_month: 25000, rate: 1 } }), 'tariff', /own name/],
    ['a name defined twice', () => withTariff(pasar(), { ...pasar().tariff, constants: { area_m2: 1 } }), 'tariff', /area_m2 is defined twice/],
    ['a negative amount in the dry run', () => withTariff(pasar(), { ...pasar().tariff, expression: 'rate_per_m2 * (area_m2 - 5)' }), 'sample_objects[1]', /negative/],
    ['a rounding unit below one rupiah', () => ({ ...pasar(), rounding: { mode: 'half_up', unit: 0.5 } }), 'rounding.unit', /./],
    ['a minimum the rounding cannot reach', () => withTariff(pasar(), { ...pasar().tariff, minimum: 25050 }), 'tariff.minimum', /multiple of the rounding unit 100/],
    [
      'a table with a gap',
      () => withTariff(pasar(), { ...pasar().tariff, table: { ...pasar().tariff.table, rows: pasar().tariff.table.rows.slice(0, 5) } }),
      'tariff.table.rows',
      /no row for stall_type = los, market_class = III/,
    ],
    [
      'a table keyed by an attribute the schema does not enumerate',
      () => {
        const d = pasar();
        d.object_schema.properties.market_class = { type: 'string' };
        return d;
      },
      'tariff.table',
      /market_class, which must be enumerated/,
    ],
    [
      'a table row for a value the schema does not allow',
      () => {
        const d = pasar();
        d.tariff.table.rows.push({ when: { stall_type: 'kios', market_class: 'IV' }, value: 1 });
        return d;
      },
      'tariff.table.rows[6].when.market_class',
      /IV is not a value/,
    ],
    [
      'bands that leave the top uncovered',
      () => {
        const d = file('retribusi-menara');
        d.tariff.lookups.height_coef.bands[3].max = 100;
        return d;
      },
      'tariff.lookups.height_coef.bands',
      /above 100 have no band/,
    ],
    ['a description naming something undefined', () => withTariff(pasar(), { ...pasar().tariff, description: '{area} m²' }), 'tariff.description', /\{area\} names nothing/],
    ['a sample that violates the object schema', () => ({ ...pasar(), sample_objects: [{ attributes: { market: 'Pasar Raya', market_class: 'I', stall_type: 'kios' } }] }), 'sample_objects[0].attributes', /area_m2/],
    ['no sample objects', () => ({ ...pasar(), sample_objects: [] }), 'sample_objects', /./],
    ['an object schema that does not compile', () => ({ ...pasar(), object_schema: { type: 'object', properties: { a: { type: 'banana' } } } }), 'object_schema', /does not compile/],
    ['a validity window that ends before it starts', () => ({ ...pasar(), legal_basis: { ...pasar().legal_basis, valid_to: '2020-01-01' } }), 'legal_basis.valid_to', /before valid_from/],
    ['an official assessment of a one-off levy', () => ({ ...reklame(), period: 'one_off' }), 'assessment_mode', /on request/],
    ['a part payment on a fixed-payment bill', () => ({ ...pasar(), payment_policy: { billing_type: 'c', partial_allowed: true, va_valid_days_after_due: 30 } }), 'payment_policy.partial_allowed', /billing type c/],
    ['an unknown field', () => ({ ...pasar(), colour: 'red' }), '(definition)', /colour/],
    ['an account code that is not one', () => ({ ...pasar(), account_codes: [{ from_year: 2024, principal: '4.1', fines: '4.1.04.13' }] }), 'account_codes[0].principal', /account code/],
  ];

  it.each(cases)('%s', (_what, make, field, reason) => {
    const errors = errorsOf(make());
    expect(errors.length).toBeGreaterThan(0);
    expect(errors).toEqual(expect.arrayContaining([{ field, reason: expect.stringMatching(reason) }]));
  });
});

describe('Whether a definition changed is decided by its content, not its layout', () => {
  it('Key order and sample objects do not make a new version; a changed rate does', () => {
    const a = parseDefinition(pasar()) as LevyDefinition;
    const reordered = parseDefinition(Object.fromEntries(Object.entries(pasar()).reverse()));
    expect(versionContent(reordered)).toBe(versionContent(a));
    expect(versionContent(parseDefinition({ ...pasar(), sample_objects: pasar().sample_objects.slice(0, 1) }))).toBe(versionContent(a));
    const b = pasar();
    b.tariff.table.rows[0].value = 46000;
    expect(versionContent(parseDefinition(b))).not.toBe(versionContent(a));
  });
});
