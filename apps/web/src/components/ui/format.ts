const integer = new Intl.NumberFormat('en');

export function formatInt(n: number): string {
  return integer.format(n);
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/**
 * An exact decimal string as dollars, without floating point: "0.500000" →
 * "$0.50", "6.250000" → "$6.25", "0.080000" → "$0.08", "1.123400" → "$1.1234".
 */
export function formatUsd(decimal: string): string {
  const [whole = '0', frac = ''] = decimal.split('.');
  const trimmed = frac.replace(/0+$/, '');
  const cents = trimmed.length < 2 ? trimmed.padEnd(2, '0') : trimmed;
  return `$${integer.format(Number(whole))}.${cents}`;
}

/** "0.5000" → "×0.5". */
export function formatMultiplier(decimal: string): string {
  const n = decimal.includes('.') ? decimal.replace(/0+$/, '').replace(/\.$/, '') : decimal;
  return `×${n}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}
