/**
 * The message of the day (`--motd FILE`): read at start and on every SIGHUP,
 * sent to each user after the welcome (text, JSON; the IRC listener sends it
 * as 375/372/376). Terminal escapes are stripped like any user text: the file
 * may come from anyone who can edit the config.
 */
import { readFileSync } from 'node:fs';
import { sanitizeLines } from '../protocol/sanitize.js';
import { ConfigError } from './config.js';

/** Beyond this the file is surely not a greeting; refuse it rather than flood every login. */
const MAX_MOTD_BYTES = 16 * 1024;

/** Read and clean a MOTD file; undefined for an empty one. Throws ConfigError. */
export function readMotd(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw motdReadError(path, err);
  }
  if (Buffer.byteLength(text) > MAX_MOTD_BYTES) {
    throw new ConfigError(`--motd ${path} is larger than ${MAX_MOTD_BYTES} bytes`);
  }
  const lines = sanitizeLines(text.replace(/\r\n?/gu, '\n')).replace(/\s+$/u, '');
  return lines === '' ? undefined : lines;
}

/** Why a --motd file cannot be read, and what to do about it (the startup error and SIGHUP's log). */
export function motdReadError(path: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  let why: string;
  switch (code) {
    case 'ENOENT':
      why = 'file not found (ENOENT); give an existing text file';
      break;
    case 'EACCES':
    case 'EPERM':
      why = `permission denied (${code}); make it readable by the user the server runs as`;
      break;
    case 'EISDIR':
      why = 'it is a folder (EISDIR); give a text file';
      break;
    case 'ENOTDIR':
      why = 'a part of the path is not a folder (ENOTDIR); give an existing text file';
      break;
    default:
      why = `${code ?? String(err)}; give a readable text file`;
  }
  return new ConfigError(`cannot read --motd ${path}: ${why}, or leave --motd out`);
}
