/**
 * Reading a config file: YAML (or JSON) of `option: value`, each value with
 * its line for error messages, relative paths resolved against the file's
 * folder, and "did you mean" for a mistyped option.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { ConfigError } from './config-values.js';
import { flagName, type OptionSpec } from './option-spec.js';
import { SERVER_OPTIONS } from './options.js';

/**
 * yaml is loaded when a config file is read, not at every start (70 ms of
 * it); synchronously, since resolving the config is. It ships CommonJS too.
 */
const requireYaml = (): typeof Yaml => createRequire(import.meta.url)('yaml') as typeof Yaml;

/** Edit distance, for "did you mean" on a mistyped key. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known option name closest to `key`, when it is close enough to be a typo. */
export function closestOption(key: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const wanted = flagName(key).toLowerCase();
  for (const spec of SERVER_OPTIONS) {
    if (spec.key === 'config') continue;
    const name = flagName(spec.key);
    const d = distance(wanted, name);
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return bestD <= Math.max(2, Math.floor(wanted.length / 4)) ? best : undefined;
}

export interface FileValues {
  values: Record<string, unknown>;
  lines: Record<string, number>;
}

/**
 * Read a YAML (or JSON) file of `option: value`. Keys may be the flag's
 * kebab-case or the camelCase key; relative paths resolve against the
 * file's folder, so a config works from wherever the server is started.
 */
export function fromFile(path: string): FileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const { isMap, isScalar, LineCounter, parseDocument } = requireYaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      `config file ${path} is not valid YAML or JSON: ${doc.errors[0]!.message}`,
    );
  }
  const out: FileValues = { values: {}, lines: {} };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return out;
  if (!isMap(doc.contents))
    throw new ConfigError(`config file ${path} must hold a mapping of option: value`);
  const known = new Map<string, OptionSpec>(
    SERVER_OPTIONS.flatMap((s) => [
      [s.key, s],
      [flagName(s.key), s],
    ]),
  );
  const folder = dirname(resolve(path));
  for (const pair of doc.contents.items) {
    const k = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const offset = isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
    const line = lineCounter.linePos(offset).line;
    const spec = known.get(k);
    if (!spec || spec.key === 'config') {
      const near = closestOption(k);
      throw new ConfigError(
        `${path}:${line}: unknown option "${k}"${near ? ` (did you mean "${near}"?)` : ''}; see chat-server --help`,
      );
    }
    let value: unknown = isScalar(pair.value) ? pair.value.value : pair.value?.toJSON();
    if ('path' in spec && spec.path && typeof value === 'string' && value !== ':memory:') {
      if (value !== '' && !isAbsolute(value)) value = resolve(folder, value);
    }
    out.values[spec.key] = value;
    out.lines[spec.key] = line;
  }
  return out;
}
