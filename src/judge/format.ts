/** Full-precision text of a value for reports: shortest round-trip decimal, `nan`, `inf`, `-inf`, `-0`. */
export function formatValue(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}
