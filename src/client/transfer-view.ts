/**
 * How a file transfer reads to the user, whichever way it goes: its name as
 * shown, its rate and closing summary, the progress bar drawn in the prompt
 * (with the ETA) and the lines of /transfers. Pure: the time is passed in.
 */
import { humanBytes } from '../protocol/file-messages.js';
import { sanitizeText } from '../protocol/sanitize.js';
import type { Transfer, TransferView } from './transfer-state.js';

/** An offered name as shown: quoted, controls made visible, at most 80 characters. */
export function showName(name: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const visible = name.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu, '�');
  // Quoted as typed, not JSON-escaped: `..\\..\\evil.txt` read as a different name.
  return `"${visible.length > 80 ? `${visible.slice(0, 77)}…` : visible}"`;
}

/** `Transfer ID ("name") resumed at 1.5 MB`: the same words for either side. */
export function resumedText(t: Transfer): string {
  return `Transfer ${t.id} (${showName(t.name)}) resumed at ${humanBytes(t.done)}`;
}

/** Bytes per second since bytes (last) started to flow; 0 before. */
export function rate(t: Transfer, now: number): number {
  const seconds = (now - t.since) / 1000;
  if (t.since === 0 || seconds <= 0) return 0;
  return (t.done - t.sinceBytes) / seconds;
}

/** Bytes per second from the first byte to `now` (an ended transfer's, for /transfers); 0 if none moved. */
export function averageRate(t: Transfer, now: number): number {
  const start = t.firstStart ?? t.since;
  if (start === 0 || t.done === 0) return 0;
  return t.done / Math.max(0.001, (now - start) / 1000);
}

/** `3.0 MB in 2.0 s (1.5 MB/s)`, from the first byte (a resume does not restart it). */
export function summary(t: Transfer, now: number): string {
  const seconds = Math.max(0.001, (now - (t.firstStart ?? t.since)) / 1000);
  return `${humanBytes(t.size)} in ${seconds.toFixed(1)} s (${humanBytes(Math.round(t.size / seconds))}/s)`;
}

/** One transfer as /transfers and the progress bar see it. */
export function viewOf(t: Transfer, now: number): TransferView {
  return {
    id: t.id,
    direction: t.dir,
    peer: t.peer,
    name: t.name,
    size: t.size,
    done: t.done,
    state: t.paused
      ? 'paused'
      : t.state === 'offered' && t.dir === 'in'
        ? 'offered to you'
        : t.state,
    rate: rate(t, now),
  };
}

const BAR_CELLS = 10;

/** No byte moved for this long: the bar says stalled rather than a rate. */
export const STALLED_MS = 3_000;

/** How long the bytes done have stood still, from one draw of the bar to the next. */
export class StallWatch {
  private done = -1;
  private since = 0;

  /** `done` bytes at `now`: the time they have not moved, once that is STALLED_MS or more, else 0. */
  observe(done: number, now: number): number {
    if (done !== this.done) {
      this.done = done;
      this.since = now;
    }
    const still = now - this.since;
    return still >= STALLED_MS ? still : 0;
  }
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * A progress bar for the prompt: one transfer by name, several in aggregate.
 * `stalledMs`: how long no byte has moved, when that is long enough to say.
 */
export function progressText(views: readonly TransferView[], stalledMs = 0): string | undefined {
  if (views.length === 0) return undefined;
  const size = views.reduce((n, v) => n + v.size, 0);
  const done = views.reduce((n, v) => n + v.done, 0);
  const rate = views.reduce((n, v) => n + v.rate, 0);
  const fraction = size === 0 ? 1 : Math.min(1, done / size);
  const filled = Math.round(fraction * BAR_CELLS);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_CELLS - filled);
  const only = views.length === 1 ? views[0]! : undefined;
  const label = only
    ? `${only.direction === 'out' ? '↑' : '↓'}${clip(sanitizeText(only.name), 16)}`
    : `${views.length} files`;
  const paused = views.every((v) => v.state === 'paused');
  const tail = paused
    ? 'paused'
    : stalledMs > 0
      ? `stalled ${seconds(stalledMs / 1000)}`
      : `${humanBytes(Math.round(rate))}/s ETA ${rate > 0 ? seconds((size - done) / rate) : '?'}`;
  return `[${label} ${bar} ${Math.floor(fraction * 100)}% ${tail}]`;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** `to Bob` or `from Bob`. */
function peerText(v: TransferView): string {
  return v.direction === 'out' ? `to ${v.peer}` : `from ${v.peer}`;
}

/** How much of a transfer is done, in whole percent. */
function percentDone(v: TransferView): number {
  return v.size === 0 ? 100 : Math.floor((v.done / v.size) * 100);
}

/** What `exit` says while files are on their way: leaving ends them. */
export function leavingText(views: readonly TransferView[]): string {
  const each = views.map((v) => `${v.id} ${showName(v.name)} ${peerText(v)}, ${percentDone(v)}%`);
  const one = views.length === 1;
  return `${one ? 'A file is' : `${views.length} files are`} still on the way (${each.join('; ')}): leaving ends ${one ? 'it' : 'them'}. Type exit again to leave anyway.`;
}

/** /transfers: one line per transfer. */
export function transferLines(views: readonly TransferView[]): string[] {
  if (views.length === 0) return ['No file transfers'];
  return views.map((v) => {
    const arrow = peerText(v);
    const pct = percentDone(v);
    const rate = v.rate > 0 ? `, ${humanBytes(Math.round(v.rate))}/s` : '';
    return `${v.id}  ${clip(sanitizeText(v.name), 40)} ${arrow}: ${v.state}, ${humanBytes(v.done)} of ${humanBytes(v.size)} (${pct}%)${rate}`;
  });
}
