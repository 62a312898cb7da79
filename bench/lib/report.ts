/** Plain-text tables and number formatting for the terminal report. */

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  notes: string[];
}

export function int(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n)
    ? '-'
    : Math.round(n).toLocaleString('en-US');
}

export function ms(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2);
}

export function pct(share: number | null | undefined): string {
  return share === null || share === undefined ? '-' : `${Math.round(share * 100)}%`;
}

export function mb(kb: number | null | undefined): string {
  return kb === null || kb === undefined ? '-' : (kb / 1024).toFixed(1);
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

export function times(r: number | null): string {
  return r === null ? 'n/a' : `${r}×`;
}

export function renderTable(t: Table): string {
  const widths = t.headers.map((h, i) =>
    Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [t.title, line(t.headers), line(widths.map((w) => '-'.repeat(w)))];
  for (const r of t.rows) out.push(line(r));
  for (const n of t.notes) out.push(`  ${n}`);
  return out.join('\n');
}
