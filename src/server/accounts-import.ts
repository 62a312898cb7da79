/**
 * `chat-server accounts import FILE`: accounts for a class from a CSV file
 * (`name,password[,operator]`), checked whole before anything is written
 * (docs/operations.md "Accounts for a class"). Parsing and checking are pure;
 * the CLI hashes and writes in one transaction.
 */
import { ChatError } from '../protocol/errors.js';
import { parseAlias, type Name } from '../protocol/names.js';
import { checkPasswordRules } from '../core/passwords.js';

export interface ImportRow {
  /** 1-based line number in the file. */
  line: number;
  name: Name;
  password: string;
  operator: boolean;
}

export interface ImportPlan {
  rows: ImportRow[];
  /** One message per bad line, `LINE: what is wrong`; nothing is imported when there is any. */
  errors: string[];
}

const YES = new Set(['operator', 'op', 'yes', 'y', 'true', '1']);
const NO = new Set(['', 'user', 'no', 'n', 'false', '0']);

/**
 * Split one CSV line into fields: commas separate, double quotes quote
 * (a password may hold a comma), `""` inside quotes is one quote. Throws on
 * an unterminated quote.
 */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('a quote is not closed');
  fields.push(field);
  return fields;
}

/**
 * Read the file's text into rows and per-line errors. Blank lines and lines
 * starting with `#` are skipped, and so is a first line `name,password…`
 * (a header). Names are trimmed; passwords are taken as written.
 */
export function planImport(text: string): ImportPlan {
  const rows: ImportRow[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/u, '').split(/\r?\n/u);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    if (rows.length === 0 && errors.length === 0 && /^\s*name\s*,\s*password\b/iu.test(raw)) return;
    let fields: string[];
    try {
      fields = splitCsvLine(raw);
    } catch (err) {
      errors.push(`${line}: ${(err as Error).message}`);
      return;
    }
    if (fields.length < 2 || fields.length > 3) {
      errors.push(`${line}: expected name,password[,operator], found ${fields.length} field(s)`);
      return;
    }
    const [rawName = '', password = '', flag = ''] = fields;
    let name: Name;
    try {
      name = parseAlias(rawName.trim());
    } catch (err) {
      errors.push(`${line}: ${rawName.trim() || '(empty name)'}: ${messageOf(err)}`);
      return;
    }
    try {
      checkPasswordRules(password);
    } catch (err) {
      errors.push(`${line}: ${name.display}: ${messageOf(err)}`);
      return;
    }
    const f = flag.trim().toLowerCase();
    if (!YES.has(f) && !NO.has(f)) {
      errors.push(
        `${line}: ${name.display}: third field must be "operator" or empty, not "${flag.trim()}"`,
      );
      return;
    }
    const earlier = seen.get(name.key);
    if (earlier !== undefined) {
      errors.push(`${line}: ${name.display}: already on line ${earlier}`);
      return;
    }
    seen.set(name.key, line);
    rows.push({ line, name, password, operator: YES.has(f) });
  });
  return { rows, errors };
}

function messageOf(err: unknown): string {
  return err instanceof ChatError || err instanceof Error ? err.message : String(err);
}
