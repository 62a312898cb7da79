/**
 * The receiving side's file system rules (docs/protocol.md §5): an offered
 * name is reduced to a safe base name, a file is written under a temporary
 * name and appears under its own name only once verified, and an existing
 * file is never overwritten (`notes (1).pdf`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Longest saved name in UTF-8 bytes (most file systems allow 255). */
const MAX_NAME_BYTES = 200;

/** C0/C1 controls, DEL, bidi marks/overrides/isolates, zero-width and BOM characters. */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu;
/** Characters Windows forbids in names; refused everywhere so a name survives a copy. */
const RESERVED_CHARS = /[<>:"|?*]/gu;
const WINDOWS_DEVICES = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/iu;

/** `s` cut to at most `max` UTF-8 bytes without splitting a character. */
function cutBytes(s: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * A name that is safe to create in the download directory: the last path
 * segment only (either slash), no controls or bidi tricks, no leading dot
 * (no hidden files such as `.bashrc`), nothing Windows refuses, at most 200
 * bytes with the extension kept. Never empty, never `.` or `..`.
 */
export function safeFileName(offered: string): string {
  const segments = offered.normalize('NFC').split(/[/\\]/u);
  let name = '';
  for (let i = segments.length - 1; i >= 0 && name === ''; i--) {
    name = segments[i]!.replace(INVISIBLE, '').replace(RESERVED_CHARS, '_').trim();
    if (/^\.+$/u.test(name)) name = '';
  }
  name = name.replace(/^[.\s]+/u, '').replace(/[.\s]+$/u, '');
  if (name === '') name = 'file';
  if (WINDOWS_DEVICES.test(name)) name = `_${name}`;
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const ext = path.extname(name);
    const keep = ext.length > 1 && ext.length <= 16 ? ext : '';
    name =
      cutBytes(
        name.slice(0, name.length - keep.length),
        MAX_NAME_BYTES - Buffer.byteLength(keep),
      ).trimEnd() + keep;
  }
  return name;
}

/** `~` and `~/x` as the user's home directory. */
export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** The default download directory: ~/Downloads/chat. */
export function defaultDownloadDir(): string {
  return path.join(os.homedir(), 'Downloads', 'chat');
}

/** `notes.pdf`, then `notes (1).pdf`, `notes (2).pdf`, … */
function candidate(name: string, n: number): string {
  if (n === 0) return name;
  const ext = path.extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  return `${stem} (${n})${ext && ext !== name ? ext : ''}`;
}

/**
 * Give the verified temporary file `temp` its name in `dir` without ever
 * replacing a file: a hard link fails when the name exists, so the first
 * free `name (n)` wins even against another process. Returns the path.
 */
export function publish(temp: string, dir: string, name: string): string {
  for (let n = 0; n < 10_000; n++) {
    const target = path.join(dir, candidate(name, n));
    try {
      fs.linkSync(temp, target);
      fs.unlinkSync(temp);
      return target;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw err;
      // No hard links here (some network or FAT file systems): check, then rename.
      if (fs.existsSync(target)) continue;
      fs.renameSync(temp, target);
      return target;
    }
  }
  throw new Error(`no free name for ${name} in ${dir}`);
}

/** SHA-256 (hex) of the first `size` bytes of an open file, read in blocks. */
export function hashFile(fd: number, size: number): string {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  while (pos < size) {
    const n = fs.readSync(fd, block, 0, Math.min(block.length, size - pos), pos);
    if (n <= 0) break;
    hash.update(block.subarray(0, n));
    pos += n;
  }
  return hash.digest('hex');
}

/** SHA-256 (hex) of a file, streamed. */
export function hashPath(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Tab completion of a local path (for `/send NICK PATH`): entries of the
 * typed directory that start with the typed name; directories end in `/`.
 */
export function completePath(partial: string): string[] {
  const expanded = expandHome(partial);
  const slash = expanded.lastIndexOf('/');
  const dir = slash >= 0 ? expanded.slice(0, slash + 1) : '';
  const base = slash >= 0 ? expanded.slice(slash + 1) : expanded;
  const typedDir = partial.slice(0, partial.length - base.length);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir === '' ? '.' : dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => typedDir + e.name + (e.isDirectory() ? '/' : ''))
    .sort();
}
