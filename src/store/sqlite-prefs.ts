/** Room topics, ignore lists, mutes and topic locks in the SQLite file: small, read at start, join and login. */
import type Database from 'better-sqlite3';
import type { ModerationState, MuteRecord, TopicRecord } from './store.js';

export class SqlitePrefs {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      getTopic: db.prepare<[string], TopicRecord>('SELECT text, by, at FROM topics WHERE room = ?'),
      listTopics: db.prepare<[], TopicRecord & { room: string }>(
        'SELECT room, text, by, at FROM topics',
      ),
      setTopic: db.prepare<[string, string, string, number]>(
        'INSERT OR REPLACE INTO topics (room, text, by, at) VALUES (?, ?, ?, ?)',
      ),
      getIgnores: db.prepare<[string], { key: string; name: string }>(
        'SELECT key, name FROM ignores WHERE owner = ? ORDER BY name',
      ),
      addIgnore: db.prepare<[string, string, string]>(
        'INSERT OR REPLACE INTO ignores (owner, key, name) VALUES (?, ?, ?)',
      ),
      removeIgnore: db.prepare<[string, string]>('DELETE FROM ignores WHERE owner = ? AND key = ?'),
      setMute: db.prepare<[string, string, string]>(
        'INSERT OR REPLACE INTO mutes (key, name_key, record) VALUES (?, ?, ?)',
      ),
      listMutes: db.prepare<[], { key: string; record: string }>('SELECT key, record FROM mutes'),
      removeMute: db.prepare<[string]>('DELETE FROM mutes WHERE key = ?'),
      lock: db.prepare<[string]>('INSERT OR IGNORE INTO topic_locks (room) VALUES (?)'),
      unlock: db.prepare<[string]>('DELETE FROM topic_locks WHERE room = ?'),
      listLocks: db.prepare<[], { room: string }>('SELECT room FROM topic_locks'),
    };
    this.setMutes = db.transaction((keys: readonly string[], r: MuteRecord) => {
      for (const k of keys) this.sql.setMute.run(k, r.nameKey, JSON.stringify(r));
    });
    this.removeMutesTx = db.transaction((nameKey: string, keys: readonly string[]) => {
      const lifted: MuteRecord[] = [];
      for (const row of this.sql.listMutes.all()) {
        const r = JSON.parse(row.record) as MuteRecord;
        if (r.nameKey !== nameKey && !keys.includes(row.key)) continue;
        this.sql.removeMute.run(row.key);
        lifted.push(r);
      }
      return lifted;
    });
  }

  /** Mute under each key, in one transaction. */
  readonly setMutes: (keys: readonly string[], record: MuteRecord) => void;
  /** Lift the mutes made under `nameKey` or stored under `keys`, in one transaction. */
  readonly removeMutesTx: (nameKey: string, keys: readonly string[]) => MuteRecord[];

  setTopicLock(room: string, locked: boolean): void {
    (locked ? this.sql.lock : this.sql.unlock).run(room);
  }

  getModeration(): ModerationState {
    return {
      mutes: new Map(
        this.sql.listMutes.all().map((r) => [r.key, JSON.parse(r.record) as MuteRecord]),
      ),
      locks: new Set(this.sql.listLocks.all().map((r) => r.room)),
    };
  }

  getTopic(room: string): TopicRecord | undefined {
    const row = this.sql.getTopic.get(room);
    return row && { text: row.text, by: row.by, at: row.at };
  }

  listTopics(): Map<string, TopicRecord> {
    return new Map(
      this.sql.listTopics.all().map((r) => [r.room, { text: r.text, by: r.by, at: r.at }]),
    );
  }

  setTopic(room: string, t: TopicRecord): void {
    this.sql.setTopic.run(room, t.text, t.by, t.at);
  }

  getIgnores(owner: string): Map<string, string> {
    return new Map(this.sql.getIgnores.all(owner).map((r) => [r.key, r.name]));
  }

  setIgnore(owner: string, key: string, display: string | undefined): void {
    if (display === undefined) this.sql.removeIgnore.run(owner, key);
    else this.sql.addIgnore.run(owner, key, display);
  }
}
