import { formatDecimalId } from '../../lib/format';
import { formatRupiah } from '../../lib/money';
import type { Calculation } from './tariff';

/**
 * Renders a rule's line template with the values a calculation used:
 * `{name}` → the value ("0,9"), `{name:rupiah}` → "Rp1.750.000", `{name:label}` → the lookup's
 * label ("monopole"). Unknown names are left as written so a template error is visible, not hidden.
 */
export function describeLine(template: string, calc: Calculation): string {
  return template.replace(/\{([a-z_][a-z0-9_]*)(?::(rupiah|label))?\}/gi, (whole, name: string, fmt?: string) => {
    if (fmt === 'label') return calc.labels[name] ?? whole;
    const v = calc.inputs[name];
    if (v === undefined) return whole;
    return fmt === 'rupiah' ? formatRupiah(Number(v)) : formatDecimalId(v);
  });
}
