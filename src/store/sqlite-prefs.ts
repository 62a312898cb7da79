/** Room topics and ignore lists in the SQLite file: small, read at join and login. */
import type Database from 'better-sqlite3';
import type { TopicRecord } from './store.js';

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
