import { formatDecimalId } from '../../lib/format';
import { formatRupiah } from '../../lib/money';
import type { Calculation } from './tariff';

/** Template placeholders: `{name}`, `{name:rupiah}`, `{name:label}`. */
export const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)(?::(rupiah|label))?\}/gi;

/**
 * Renders a rule's line template with the values a calculation used:
 * `{name}` → the value ("0,9"), `{name:rupiah}` → "Rp1.750.000", `{name:label}` → the lookup's
 * label ("monopole"). A name may be an input or an intermediate step (the base of a rate). Unknown
 * names are left as written so a template error is visible, not hidden. A line raised to the
 * minimum or cut to the maximum says so, since its amount no longer follows from the template.
 */
export function describeLine(template: string, calc: Calculation): string {
  const steps = Object.fromEntries((calc.steps ?? []).map((s) => [s.name, s.value]));
  const text = template.replace(PLACEHOLDER, (whole, name: string, fmt?: string) => {
    if (fmt === 'label') return calc.labels[name] ?? whole;
    const v = calc.inputs[name] ?? steps[name];
    if (v === undefined) return whole;
    // An intermediate value (the base of a rate) may still carry a fraction of a rupiah.
    return fmt === 'rupiah' ? `Rp${formatDecimalId(v)}` : formatDecimalId(v);
  });
  if (!calc.bounded) return text;
  const which = calc.bounded.by === 'minimum' ? 'minimum' : 'maksimum';
  return `${text}; dikenakan tarif ${which} ${formatRupiah(calc.amount)}`;
}
