import Fraction from 'fraction.js';
import { compileTariff, FormulaRule, parseFormula, roundAmount, TariffError } from '../../src/modules/levy-types/tariff';
import { describeLine } from '../../src/modules/levy-types/describe';

const towerRule: FormulaRule = {
  kind: 'formula',
  expression: 'inspections * cost_per_inspection * type_coef * height_coef * zone_coef',
  constants: { inspections: 2, cost_per_inspection: 1750000 },
  lookups: {
    type_coef: { attribute: 'tower_type', table: { self_supporting: '1.0', monopole: '0.9', rooftop: '0.8' } },
    height_coef: {
      attribute: 'height_m',
      bands: [
        { max: 30, value: '0.9', label: 'tinggi ≤ 30 m' },
        { max: 50, value: '1.0', label: 'tinggi 31–50 m' },
        { max: 72, value: '1.2', label: 'tinggi 51–72 m' },
        { value: '1.35', label: 'tinggi > 72 m' },
      ],
    },
    zone_coef: { attribute: 'zone', table: { '1': '1.2', '2': '1.0', '3': '0.8' }, labels: { '1': 'zona I' } },
  },
  description: '{inspections} pemeriksaan × {cost_per_inspection:rupiah} × {height_coef} ({height_coef:label}) × {zone_coef} ({zone_coef:label})',
};
const whole = { mode: 'half_up', unit: 1 } as const;

describe('Tower tariff: inspections × cost × coefficients, exact, rounded once', () => {
  const compute = compileTariff(towerRule, whole);

  it.each([
    [{ tower_type: 'self_supporting', height_m: 62, zone: 1 }, 2 * 1750000 * 1.2 * 1.2],
    [{ tower_type: 'monopole', height_m: 30, zone: 2 }, 2 * 1750000 * 0.9 * 0.9],
    [{ tower_type: 'monopole', height_m: 31, zone: 2 }, 2 * 1750000 * 0.9],
    [{ tower_type: 'rooftop', height_m: 12, zone: 3 }, 2016000],
    [{ tower_type: 'self_supporting', height_m: 82, zone: 1 }, 5670000],
  ])('%o costs Rp%d', (attrs, expected) => {
    expect(compute(attrs).amount).toBe(Math.round(expected));
  });

  it('uses exact rationals: no float residue reaches the amount', () => {
    const c = compileTariff({ ...towerRule, expression: 'cost_per_inspection * 0.1 * 3', lookups: {} }, whole);
    expect(c({}).amount).toBe(525000);
    expect(c({}).unrounded).toBe('525000');
  });

  it('records inputs, labels and the unrounded value the documents print', () => {
    const calc = compute({ tower_type: 'monopole', height_m: 40, zone: 1 });
    expect(calc.inputs).toMatchObject({ inspections: '2', cost_per_inspection: '1750000', type_coef: '0.9', height_coef: '1', zone_coef: '1.2' });
    expect(calc.labels).toMatchObject({ height_coef: 'tinggi 31–50 m', zone_coef: 'zona I', type_coef: 'monopole' });
    expect(describeLine(towerRule.description, calc)).toBe('2 pemeriksaan × Rp1.750.000 × 1 (tinggi 31–50 m) × 1,2 (zona I)');
  });

  it('refuses an object the tables do not cover, naming the attribute', () => {
    expect(() => compute({ tower_type: 'guyed', height_m: 40, zone: 1 })).toThrow(/tower_type = guyed/);
    expect(() => compute({ tower_type: 'monopole', zone: 1 })).toThrow(/height_m/);
  });
});

describe('Rounding happens once, by the levy type’s rule', () => {
  it.each([
    ['1234.5', 'half_up', 1, 1235],
    ['1234.49', 'half_up', 1, 1234],
    ['1234.01', 'up', 1, 1235],
    ['1234.99', 'down', 1, 1234],
    ['123450', 'half_up', 100, 123500],
    ['123449', 'half_up', 100, 123400],
    ['123401', 'up', 100, 123500],
    ['123499', 'down', 100, 123400],
  ] as const)('%s rounded %s to %i is %i', (value, mode, unit, expected) => {
    expect(roundAmount(new Fraction(value), { mode, unit })).toBe(expected);
  });
});

describe('Formulas are parsed, checked and evaluated without eval', () => {
  const known = new Set(['a', 'b']);

  it.each([
    ['a +', /does not parse/],
    ['a * c', /unknown name c/],
    ['a ^ 2', /operator \^ is not allowed/],
    ['sqrt(a)', /function sqrt is not allowed/],
    ['a = 3', /not allowed/],
    ['f(x) = x', /not allowed/],
    ['[a, b]', /not allowed/],
    ['a ? b : 1', /not allowed/],
    ['import({}, {})', /not allowed/],
    ['constructor', /unknown name/],
  ])('%s is refused', (expr, reason) => {
    expect(() => parseFormula(expr, known)).toThrow(reason);
  });

  it('refuses division by zero and negative results as tariff errors', () => {
    const rule = (expression: string): FormulaRule => ({ kind: 'formula', expression, constants: { a: 5, b: 0 }, description: '' });
    expect(() => compileTariff(rule('a / b'), whole)({})).toThrow(TariffError);
    expect(() => compileTariff(rule('b - a'), whole)({})).toThrow(/negative/);
    expect(compileTariff(rule('max(a, 7) - min(a, b)'), whole)({}).amount).toBe(7);
  });

  it('evaluates named attributes of the object as exact decimals', () => {
    const rule: FormulaRule = { kind: 'formula', expression: 'area_m2 * rate', constants: { rate: 12500 }, attributes: ['area_m2'], description: '' };
    expect(compileTariff(rule, whole)({ area_m2: '12.5' }).amount).toBe(156250);
    expect(() => compileTariff(rule, whole)({})).toThrow(/area_m2/);
  });
});
