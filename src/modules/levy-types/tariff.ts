import Fraction from 'fraction.js';
import { all, create, MathNode } from 'mathjs';
import { AppError } from '../../errors';

/**
 * Tariff rules turn an object's attributes into one bill line amount, exactly.
 *
 * Arithmetic is on rationals (fraction.js), never floats: coefficients such as 0.9 are exact, and
 * the single rounding step happens at the end, per the levy type's rule. Formulas are parsed with
 * mathjs but evaluated by the small interpreter below, which knows only the four operations,
 * min/max and the names the rule declares: no `eval`, no access to anything else, and time
 * bounded by the size of the expression.
 */

export type Decimal = string | number;

export interface TableLookup {
  attribute: string;
  table: Record<string, Decimal>;
  labels?: Record<string, string>;
}

export interface BandLookup {
  attribute: string;
  /** Ordered by `max`; the last band may omit `max` to take everything above. */
  bands: Array<{ max?: number; value: Decimal; label?: string }>;
}

export type Lookup = TableLookup | BandLookup;

export interface FormulaRule {
  kind: 'formula';
  expression: string;
  constants?: Record<string, Decimal>;
  lookups?: Record<string, Lookup>;
  /** Attributes of the object usable by name in the expression. */
  attributes?: string[];
  /** How a bill line explains itself; `{name}` is replaced by the value, `{name:rupiah}` as money. */
  description: string;
}

export type TariffRule = FormulaRule;

export interface RoundingRule {
  mode: 'half_up' | 'down' | 'up';
  unit: number;
}

export interface Calculation {
  inputs: Record<string, string>;
  labels: Record<string, string>;
  expression: string;
  unrounded: string;
  rounding: RoundingRule;
  amount: number;
}

export class TariffError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('tariff_error', message, 422, details);
  }
}

const math = create(all, { number: 'BigNumber' });
const FUNCTIONS = new Set(['min', 'max']);
const OPERATORS = new Set(['add', 'subtract', 'multiply', 'divide', 'unaryMinus', 'unaryPlus']);

function fraction(value: Decimal, name: string): Fraction {
  if (typeof value === 'number' ? !Number.isFinite(value) : !/^-?\d+(\.\d+)?$/.test(value)) {
    throw new TariffError(`${name} is not a decimal number`, { name, value });
  }
  return new Fraction(String(value));
}

export function parseFormula(expression: string, known: Set<string>): MathNode {
  let node: MathNode;
  try {
    node = math.parse(expression);
  } catch (e) {
    throw new TariffError(`formula does not parse: ${(e as Error).message}`, { expression });
  }
  node.traverse((n, _path, parent) => {
    switch (n.type) {
      case 'ConstantNode':
      case 'ParenthesisNode':
        return;
      case 'OperatorNode':
        if (!OPERATORS.has((n as math.OperatorNode).fn)) {
          throw new TariffError(`operator ${(n as math.OperatorNode).op} is not allowed`, { expression });
        }
        return;
      case 'FunctionNode': {
        const name = (n as math.FunctionNode).fn.name;
        if (!FUNCTIONS.has(name)) throw new TariffError(`function ${name} is not allowed`, { expression });
        return;
      }
      case 'SymbolNode': {
        const name = (n as math.SymbolNode).name;
        if (parent?.type === 'FunctionNode' && (parent as math.FunctionNode).fn === n) return;
        if (!known.has(name)) throw new TariffError(`unknown name ${name} in formula`, { expression, name });
        return;
      }
      default:
        throw new TariffError(`${n.type} is not allowed in a formula`, { expression });
    }
  });
  return node;
}

function evaluate(node: MathNode, scope: Map<string, Fraction>): Fraction {
  switch (node.type) {
    case 'ConstantNode':
      return fraction(String((node as math.ConstantNode).value), 'constant');
    case 'ParenthesisNode':
      return evaluate((node as math.ParenthesisNode).content, scope);
    case 'SymbolNode':
      return scope.get((node as math.SymbolNode).name)!;
    case 'FunctionNode': {
      const f = node as math.FunctionNode;
      const args = f.args.map((a) => evaluate(a, scope));
      if (args.length === 0) throw new TariffError(`${f.fn.name} needs arguments`);
      return args.reduce((a, b) => ((f.fn.name === 'min' ? a.compare(b) <= 0 : a.compare(b) >= 0) ? a : b));
    }
    case 'OperatorNode': {
      const o = node as math.OperatorNode;
      const [a, b] = o.args.map((x) => evaluate(x, scope));
      switch (o.fn) {
        case 'add':
          return a.add(b);
        case 'subtract':
          return a.sub(b);
        case 'multiply':
          return a.mul(b);
        case 'divide':
          if (b.equals(0)) throw new TariffError('division by zero in formula');
          return a.div(b);
        case 'unaryMinus':
          return a.neg();
        default:
          return a;
      }
    }
    default:
      throw new TariffError(`${node.type} is not allowed in a formula`);
  }
}

export function roundAmount(value: Fraction, rule: RoundingRule): number {
  const scaled = value.div(rule.unit);
  const whole = rule.mode === 'down' ? scaled.floor() : rule.mode === 'up' ? scaled.ceil() : scaled.add(new Fraction(1, 2)).floor();
  const amount = whole.mul(rule.unit);
  const n = Number(amount.valueOf());
  if (!Number.isSafeInteger(n)) throw new TariffError('amount is outside the representable range');
  return n;
}

function lookup(name: string, l: Lookup, attrs: Record<string, unknown>): { value: Fraction; label: string } {
  const raw = attrs[l.attribute];
  if (raw === undefined || raw === null) {
    throw new TariffError(`object has no ${l.attribute} for ${name}`, { name, attribute: l.attribute });
  }
  if ('table' in l) {
    const key = String(raw);
    if (!(key in l.table)) {
      throw new TariffError(`no ${name} for ${l.attribute} = ${key}`, { name, attribute: l.attribute, value: key });
    }
    return { value: fraction(l.table[key], name), label: l.labels?.[key] ?? key };
  }
  const x = Number(raw);
  if (!Number.isFinite(x)) throw new TariffError(`${l.attribute} is not a number`, { attribute: l.attribute });
  const band = l.bands.find((b) => b.max === undefined || x <= b.max);
  if (!band) throw new TariffError(`no ${name} band for ${l.attribute} = ${x}`, { name, attribute: l.attribute, value: x });
  return { value: fraction(band.value, name), label: band.label ?? String(x) };
}

function formatDecimal(f: Fraction): string {
  return f.d === 1n ? f.toString() : f.toString(4).replace(/0+$/, '');
}

/** A compiled rule: parse once, compute many objects. */
export function compileTariff(rule: TariffRule, rounding: RoundingRule) {
  const constants = new Map(Object.entries(rule.constants ?? {}).map(([k, v]) => [k, fraction(v, k)]));
  const lookups = Object.entries(rule.lookups ?? {});
  const attributes = rule.attributes ?? [];
  const known = new Set([...constants.keys(), ...lookups.map(([k]) => k), ...attributes]);
  const ast = parseFormula(rule.expression, known);

  return function compute(attrs: Record<string, unknown>): Calculation {
    const scope = new Map(constants);
    const labels: Record<string, string> = {};
    for (const [name, l] of lookups) {
      const { value, label } = lookup(name, l, attrs);
      scope.set(name, value);
      labels[name] = label;
    }
    for (const a of attributes) {
      const v = attrs[a];
      if (typeof v !== 'number' && typeof v !== 'string') throw new TariffError(`object has no ${a}`, { attribute: a });
      scope.set(a, fraction(v, a));
    }
    const exact = evaluate(ast, scope);
    if (exact.compare(0) < 0) throw new TariffError('formula gives a negative amount', { unrounded: exact.toFraction() });
    const inputs = Object.fromEntries([...scope].map(([k, v]) => [k, formatDecimal(v)]));
    return {
      inputs,
      labels,
      expression: rule.expression,
      unrounded: exact.toFraction(),
      rounding,
      amount: roundAmount(exact, rounding),
    };
  };
}
