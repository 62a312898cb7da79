import { randomUUID } from 'node:crypto';
import { MemoryAccounts } from './memory-accounts.js';
import type {
  AppendResult,
  NewMessage,
  Publish,
  ReadResult,
  Store,
  StoredMessage,
  StreamKey,
  TopicRecord,
} from './store.js';

interface Stream {
  top: number;
  messages: StoredMessage[];
}

/**
 * A Store that lives and dies with the process: each start is a new epoch, so
 * a client resuming against a restarted in-memory server sees a reset, not
 * silently missing messages.
 */
export class MemoryStore extends MemoryAccounts implements Store {
  private readonly streams = new Map<StreamKey, Stream>();
  private readonly seen = new Map<string, { message: StoredMessage; at: number }>();
  private readonly epoch = randomUUID();
  /** append() publishes the message it keeps, note and all, before it resolves (Store). */
  readonly publishesNotes: boolean = true;
  private readonly topics = new Map<StreamKey, TopicRecord>();
  private readonly ignores = new Map<string, Map<string, string>>();

  constructor(
    private readonly publish: Publish,
    private readonly retention: number,
    private readonly idempotencyTtlMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  async append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult> {
    if (idempotencyKey !== undefined) {
      const hit = this.seen.get(idempotencyKey);
      if (hit && this.now() - hit.at < this.idempotencyTtlMs) {
        return { message: hit.message, epoch: this.epoch, duplicate: true };
      }
    }
    const s = this.stream(stream);
    const message: StoredMessage = { ...msg, stream, seq: ++s.top };
    s.messages.push(message);
    if (s.messages.length > this.retention)
      s.messages.splice(0, s.messages.length - this.retention);
    if (idempotencyKey !== undefined) {
      this.expireSeen();
      this.seen.set(idempotencyKey, { message, at: this.now() });
    }
    this.publish(message);
    return { message, epoch: this.epoch, duplicate: false };
  }

  async original(idempotencyKey: string): Promise<AppendResult | undefined> {
    const hit = this.seen.get(idempotencyKey);
    if (!hit || this.now() - hit.at >= this.idempotencyTtlMs) return undefined;
    return { message: hit.message, epoch: this.epoch, duplicate: true };
  }

  async read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult> {
    const s = this.stream(stream);
    const messages = s.messages.filter((m) => m.seq > afterSeq).slice(0, limit);
    return this.result(s, messages);
  }

  async readBefore(
    stream: StreamKey,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<ReadResult> {
    const s = this.stream(stream);
    const older =
      beforeSeq === undefined ? s.messages : s.messages.filter((m) => m.seq < beforeSeq);
    return this.result(s, limit > 0 ? older.slice(-limit) : []);
  }

  async getTopic(room: StreamKey): Promise<TopicRecord | undefined> {
    const t = this.topics.get(room);
    return t && { ...t };
  }

  async listTopics(): Promise<Map<StreamKey, TopicRecord>> {
    return new Map([...this.topics].map(([k, t]) => [k, { ...t }]));
  }

  async setTopic(room: StreamKey, topic: TopicRecord): Promise<void> {
    this.topics.set(room, { ...topic });
  }

  async getIgnores(owner: string): Promise<Map<string, string>> {
    return new Map(this.ignores.get(owner));
  }

  async setIgnore(owner: string, key: string, display: string | undefined): Promise<void> {
    let list = this.ignores.get(owner);
    if (display !== undefined) (list ??= new Map()).set(key, display);
    else list?.delete(key);
    if (list && list.size > 0) this.ignores.set(owner, list);
    else this.ignores.delete(owner);
  }

  async forgetAccountData(streams: readonly StreamKey[], owner: string): Promise<void> {
    for (const stream of streams) this.streams.delete(stream);
    this.ignores.delete(owner);
  }

  async close(): Promise<void> {
    this.seen.clear();
  }

  private result(s: Stream, messages: StoredMessage[]): ReadResult {
    return {
      epoch: this.epoch,
      top: s.top,
      firstRetained: s.messages[0]?.seq ?? s.top + 1,
      messages,
    };
  }

  private stream(key: StreamKey): Stream {
    let s = this.streams.get(key);
    if (!s) {
      s = { top: 0, messages: [] };
      this.streams.set(key, s);
    }
    return s;
  }

  // Map iteration is insertion order, so the oldest entries are first.
  private expireSeen(): void {
    const cutoff = this.now() - this.idempotencyTtlMs;
    for (const [key, v] of this.seen) {
      if (v.at >= cutoff) break;
      this.seen.delete(key);
    }
  }
}
