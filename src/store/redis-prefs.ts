/**
 * Room topics, ignore lists, mutes and topic locks in Redis: small hashes and
 * sets every node reads at start, join and login (the ModerationStore, and
 * the Store's topics and ignores).
 */
import { RedisPart } from './redis-calls.js';
import type {
  ModerationState,
  ModerationStore,
  MuteRecord,
  Store,
  StreamKey,
  TopicRecord,
} from './store.js';

type Prefs = ModerationStore &
  Pick<Store, 'getTopic' | 'listTopics' | 'setTopic' | 'getIgnores' | 'setIgnore'>;

export class RedisPrefs extends RedisPart implements Prefs {
  // ---- mutes and topic locks ------------------------------------------------

  async setMute(keys: readonly string[], record: MuteRecord): Promise<void> {
    if (keys.length === 0) return;
    const json = JSON.stringify(record);
    await this.calls.cmd(() =>
      this.client.hset(this.keys.mutes, ...keys.flatMap((k) => [k, json])),
    );
  }

  async removeMutes(nameKey: string, keys: readonly string[]): Promise<MuteRecord[]> {
    const all = await this.calls.cmd(() => this.client.hgetall(this.keys.mutes));
    const hit = Object.entries(all)
      .map(([k, j]) => [k, JSON.parse(j) as MuteRecord] as const)
      .filter(([k, r]) => r.nameKey === nameKey || keys.includes(k));
    if (hit.length === 0) return [];
    // HDEL says how many it removed: a racing /unmute on another node lifts the rest.
    const removed = await this.calls.cmd(() =>
      this.client.hdel(this.keys.mutes, ...hit.map(([k]) => k)),
    );
    return removed > 0 ? hit.map(([, r]) => r) : [];
  }

  async setTopicLock(room: string, locked: boolean): Promise<void> {
    await this.calls.cmd(() =>
      locked
        ? this.client.sadd(this.keys.topicLocks, room)
        : this.client.srem(this.keys.topicLocks, room),
    );
  }

  async getModeration(): Promise<ModerationState> {
    const [mutes, locks] = await Promise.all([
      this.calls.cmd(() => this.client.hgetall(this.keys.mutes)),
      this.calls.cmd(() => this.client.smembers(this.keys.topicLocks)),
    ]);
    return {
      mutes: new Map(Object.entries(mutes).map(([k, j]) => [k, JSON.parse(j) as MuteRecord])),
      locks: new Set(locks),
    };
  }

  // ---- topics and ignores ---------------------------------------------------

  async getTopic(room: StreamKey): Promise<TopicRecord | undefined> {
    const j = await this.calls.cmd(() => this.client.hget(this.keys.topics, room));
    return j === null ? undefined : (JSON.parse(j) as TopicRecord);
  }

  async listTopics(): Promise<Map<StreamKey, TopicRecord>> {
    const h = await this.calls.cmd(() => this.client.hgetall(this.keys.topics));
    return new Map(Object.entries(h).map(([room, j]) => [room, JSON.parse(j) as TopicRecord]));
  }

  async setTopic(room: StreamKey, topic: TopicRecord): Promise<void> {
    await this.calls.cmd(() => this.client.hset(this.keys.topics, room, JSON.stringify(topic)));
  }

  async getIgnores(owner: string): Promise<Map<string, string>> {
    const h = await this.calls.cmd(() => this.client.hgetall(this.keys.ignores(owner)));
    return new Map(Object.entries(h));
  }

  async setIgnore(owner: string, key: string, display: string | undefined): Promise<void> {
    const k = this.keys.ignores(owner);
    await this.calls.cmd(() =>
      display === undefined ? this.client.hdel(k, key) : this.client.hset(k, key, display),
    );
  }
}
