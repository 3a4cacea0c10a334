import Fraction from 'fraction.js';
import { all, create, MathNode } from 'mathjs';
import { AppError } from '../../errors';

/**
 * Tariff rules turn an object's attributes into one bill line amount, exactly.
 *
 * Arithmetic is on rationals (fraction.js), never floats: coefficients such as 0.9 are exact, and
 * the single rounding step happens at the end, per the levy type's rule. Formulas are parsed with
 * mathjs but evaluated by the small interpreter below, which knows only the four operations,
 * min/max and the names the rule declares: no `eval`, no access to anything else, no loops, and
 * time bounded by the size of the expression, which is itself bounded.
 *
 * Every rule kind (flat, table, rate × base, formula) compiles to one formula shape, so there is
 * one evaluator and one trace format whatever the levy.
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

/** A table keyed by several attributes at once (stall type × market class). */
export interface CompositeLookup {
  attributes: string[];
  rows: Array<{ when: Record<string, string | number>; value: Decimal; label?: string }>;
}

export type Lookup = TableLookup | BandLookup | CompositeLookup;

/** Bounds on one line's amount, in whole rupiah, applied after rounding. */
export interface LineBounds {
  minimum?: number;
  maximum?: number;
}

interface Named {
  constants?: Record<string, Decimal>;
  /** Attributes of the object usable by name in the expression. */
  attributes?: string[];
  /** How a bill line explains itself; `{name}` is replaced by the value, `{name:rupiah}` as money. */
  description: string;
}

export interface FormulaRule extends Named, LineBounds {
  kind: 'formula';
  expression: string;
  lookups?: Record<string, Lookup>;
  /** Named intermediate values, each usable by the steps after it and by the expression. */
  steps?: Array<{ name: string; expression: string }>;
}

export interface FlatRule extends LineBounds {
  kind: 'flat';
  amount: Decimal;
  description: string;
}

export interface TableRule extends Named, LineBounds {
  kind: 'table';
  table: CompositeLookup & { name: string };
  /** What the line costs given the looked-up value; the value alone when absent. */
  expression?: string;
}

export interface RateRule extends Named, LineBounds {
  kind: 'rate';
  rate: Decimal;
  /** The base the rate applies to: an expression over the rule's names, often one attribute. */
  base: string;
  lookups?: Record<string, Lookup>;
}

export type TariffRule = FlatRule | TableRule | RateRule | FormulaRule;

export interface RoundingRule {
  mode: 'half_up' | 'down' | 'up';
  unit: number;
}

export interface Calculation {
  inputs: Record<string, string>;
  labels: Record<string, string>;
  /** Intermediate values in the order they were computed (e.g. the base of a rate). */
  steps?: Array<{ name: string; expression: string; value: string }>;
  expression: string;
  unrounded: string;
  rounding: RoundingRule;
  /** Present when the rounded amount was raised to the minimum or lowered to the maximum. */
  bounded?: { by: 'minimum' | 'maximum'; rounded: number };
  amount: number;
}

export class TariffError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('tariff_error', message, 422, details);
  }
}

/** A formula longer than this, or with more nodes, is refused: evaluation time stays bounded. */
export const MAX_EXPRESSION_LENGTH = 2000;
export const MAX_AST_NODES = 400;

const math = create(all, { number: 'BigNumber' });
const FUNCTIONS = new Set(['min', 'max']);
const OPERATORS = new Set(['add', 'subtract', 'multiply', 'divide', 'unaryMinus', 'unaryPlus']);
export const NAME = /^[a-z_][a-z0-9_]*$/i;

function fraction(value: Decimal, name: string): Fraction {
  if (typeof value === 'number' ? !Number.isFinite(value) : !/^-?\d+(\.\d+)?$/.test(value)) {
    throw new TariffError(`${name} is not a decimal number`, { name, value });
  }
  return new Fraction(String(value));
}

export function parseFormula(expression: string, known: Set<string>): MathNode {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new TariffError(`formula is longer than ${MAX_EXPRESSION_LENGTH} characters`, { length: expression.length });
  }
  let node: MathNode;
  try {
    node = math.parse(expression);
  } catch (e) {
    throw new TariffError(`formula does not parse: ${(e as Error).message}`, { expression });
  }
  let nodes = 0;
  node.traverse((n, _path, parent) => {
    nodes += 1;
    if (nodes > MAX_AST_NODES) throw new TariffError(`formula has more than ${MAX_AST_NODES} terms`, { expression });
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

/** The attributes a lookup reads. */
export function lookupAttributes(l: Lookup): string[] {
  return 'rows' in l ? l.attributes : [l.attribute];
}

function compositeKey(values: unknown[]): string {
  return JSON.stringify(values.map((v) => String(v)));
}

type CompiledLookup = (attrs: Record<string, unknown>) => { value: Fraction; label: string };

function compileLookup(name: string, l: Lookup): CompiledLookup {
  if ('rows' in l) {
    const rows = new Map(l.rows.map((r) => [compositeKey(l.attributes.map((a) => r.when[a])), r]));
    return (attrs) => {
      const values = l.attributes.map((a) => attrs[a]);
      const missing = l.attributes.find((_a, i) => values[i] === undefined || values[i] === null);
      if (missing) throw new TariffError(`object has no ${missing} for ${name}`, { name, attribute: missing });
      const row = rows.get(compositeKey(values));
      if (!row) {
        const where = l.attributes.map((a, i) => `${a} = ${String(values[i])}`).join(', ');
        throw new TariffError(`no ${name} for ${where}`, { name, attributes: l.attributes, values });
      }
      return { value: fraction(row.value, name), label: row.label ?? values.map(String).join(' / ') };
    };
  }
  return (attrs) => {
    const raw = attrs[l.attribute];
    if (raw === undefined || raw === null) {
      throw new TariffError(`object has no ${l.attribute} for ${name}`, { name, attribute: l.attribute });
    }
    if ('table' in l) {
      const key = String(raw);
      if (!Object.hasOwn(l.table, key)) {
        throw new TariffError(`no ${name} for ${l.attribute} = ${key}`, { name, attribute: l.attribute, value: key });
      }
      return { value: fraction(l.table[key], name), label: l.labels?.[key] ?? key };
    }
    const x = Number(raw);
    if (!Number.isFinite(x)) throw new TariffError(`${l.attribute} is not a number`, { attribute: l.attribute });
    const band = l.bands.find((b) => b.max === undefined || x <= b.max);
    if (!band) throw new TariffError(`no ${name} band for ${l.attribute} = ${x}`, { name, attribute: l.attribute, value: x });
    return { value: fraction(band.value, name), label: band.label ?? String(x) };
  };
}

function formatDecimal(f: Fraction): string {
  return f.d === 1n ? f.toString() : f.toString(4).replace(/0+$/, '');
}

/** Every rule kind as the one formula shape the evaluator runs. */
export function toFormula(rule: TariffRule): FormulaRule {
  const bounds = { minimum: rule.minimum, maximum: rule.maximum };
  if (rule.kind === 'rate' && rule.constants && Object.hasOwn(rule.constants, 'rate')) {
    throw new TariffError('rate is the rule’s own name; name the constant otherwise', { name: 'rate' });
  }
  switch (rule.kind) {
    case 'flat':
      return { kind: 'formula', expression: 'amount', constants: { amount: rule.amount }, description: rule.description, ...bounds };
    case 'table': {
      const { name, ...lookup } = rule.table;
      return {
        kind: 'formula',
        expression: rule.expression ?? name,
        constants: rule.constants,
        attributes: rule.attributes,
        lookups: { [name]: lookup },
        description: rule.description,
        ...bounds,
      };
    }
    case 'rate':
      return {
        kind: 'formula',
        expression: 'base * rate',
        constants: { ...rule.constants, rate: rule.rate },
        attributes: rule.attributes,
        lookups: rule.lookups,
        steps: [{ name: 'base', expression: rule.base }],
        description: rule.description,
        ...bounds,
      };
    case 'formula':
      return rule;
  }
}

/** The names a rule defines, in the order they become known, with what defines each. */
export function definedNames(f: FormulaRule): Array<{ name: string; from: 'constant' | 'lookup' | 'attribute' | 'step' }> {
  return [
    ...Object.keys(f.constants ?? {}).map((name) => ({ name, from: 'constant' as const })),
    ...Object.keys(f.lookups ?? {}).map((name) => ({ name, from: 'lookup' as const })),
    ...(f.attributes ?? []).map((name) => ({ name, from: 'attribute' as const })),
    ...(f.steps ?? []).map((s) => ({ name: s.name, from: 'step' as const })),
  ];
}

export type ComputeLine = (attrs: Record<string, unknown>) => Calculation;

/** A compiled rule: parse once, compute many objects. */
export function compileTariff(rule: TariffRule, rounding: RoundingRule): ComputeLine {
  const f = toFormula(rule);
  const seen = new Set<string>();
  for (const { name } of definedNames(f)) {
    if (!NAME.test(name)) throw new TariffError(`${name} is not a usable name`, { name });
    if (seen.has(name)) throw new TariffError(`name ${name} is defined twice`, { name });
    seen.add(name);
  }
  const constants = new Map(Object.entries(f.constants ?? {}).map(([k, v]) => [k, fraction(v, k)]));
  const lookups = Object.entries(f.lookups ?? {}).map(([k, l]) => [k, compileLookup(k, l)] as const);
  const attributes = f.attributes ?? [];
  // A step sees only the names before it, so no value can depend on itself.
  const known = new Set([...constants.keys(), ...lookups.map(([k]) => k), ...attributes]);
  const steps = (f.steps ?? []).map((s) => {
    const ast = parseFormula(s.expression, known);
    known.add(s.name);
    return { ...s, ast };
  });
  const ast = parseFormula(f.expression, known);

  return function compute(attrs: Record<string, unknown>): Calculation {
    const scope = new Map(constants);
    const labels: Record<string, string> = {};
    for (const [name, find] of lookups) {
      const { value, label } = find(attrs);
      scope.set(name, value);
      labels[name] = label;
    }
    for (const a of attributes) {
      const v = attrs[a];
      if (typeof v !== 'number' && typeof v !== 'string') throw new TariffError(`object has no ${a}`, { attribute: a });
      scope.set(a, fraction(v, a));
    }
    const inputs = Object.fromEntries([...scope].map(([k, v]) => [k, formatDecimal(v)]));
    const trace = steps.map((s) => {
      const value = evaluate(s.ast, scope);
      scope.set(s.name, value);
      return { name: s.name, expression: s.expression, value: formatDecimal(value) };
    });
    const exact = evaluate(ast, scope);
    if (exact.compare(0) < 0) throw new TariffError('formula gives a negative amount', { unrounded: exact.toFraction() });
    const rounded = roundAmount(exact, rounding);
    let amount = rounded;
    let bounded: Calculation['bounded'];
    if (f.minimum !== undefined && rounded < f.minimum) {
      amount = f.minimum;
      bounded = { by: 'minimum', rounded };
    } else if (f.maximum !== undefined && rounded > f.maximum) {
      amount = f.maximum;
      bounded = { by: 'maximum', rounded };
    }
    return {
      inputs,
      labels,
      ...(trace.length ? { steps: trace } : {}),
      expression: f.expression,
      unrounded: exact.toFraction(),
      rounding,
      ...(bounded ? { bounded } : {}),
      amount,
    };
  };
}
