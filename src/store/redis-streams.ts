/**
 * The message streams of the Redis store (docs/architecture.md): append with
 * its idempotency key in one script, the original of a retried append, and
 * reads forward and backward with the stream's epoch, top and first retained
 * seq. Also how a message is stored as a sorted-set member (the Bus decodes
 * the members the append script publishes).
 */
import { randomUUID } from 'node:crypto';
import { RedisPart, Script, type RedisCalls } from './redis-calls.js';
import type { RedisKeys } from './redis-keys.js';
import * as lua from './redis-scripts.js';
import type {
  AppendResult,
  NewMessage,
  Publish,
  ReadResult,
  StoredMessage,
  StreamKey,
} from './store.js';

/** A message's JSON in Redis: the NewMessage fields; stream and seq come from the key and member. */
interface Body {
  from: string;
  to?: string;
  text: string;
  action: boolean;
  ts: number;
}

const SCRIPTS = {
  append: new Script(lua.APPEND),
  read: new Script(lua.READ),
  original: new Script(lua.ORIGINAL),
};

/** A member `seq:json` as a message of `stream`. */
export function decodeMember(stream: StreamKey, member: string): StoredMessage {
  const colon = member.indexOf(':');
  const body = JSON.parse(member.slice(colon + 1)) as Body;
  const message: StoredMessage = {
    from: body.from,
    text: body.text,
    action: body.action,
    ts: body.ts,
    stream,
    seq: Number(member.slice(0, colon)),
  };
  if (body.to !== undefined) message.to = body.to;
  return message;
}

function encodeBody(msg: NewMessage): string {
  const body: Body = { from: msg.from, text: msg.text, action: msg.action, ts: msg.ts };
  if (msg.to !== undefined) body.to = msg.to;
  return JSON.stringify(body);
}

export interface RedisStreamsOptions {
  publish: Publish;
  retention: number;
  idempotencyTtlMs: number;
  now: () => number;
}

/**
 * One append is one EVALSHA (seq, store, trim, idempotency, SPUBLISH in one
 * atomic script); an append with an idempotency key also sends one SET of the
 * key's index (which stream it was used in, for original()) in the same
 * pipeline, so each append costs one round trip of latency. Commands on one
 * connection execute and reply in order, so the local publish callback,
 * called from each reply, sees every stream in seq order.
 */
export class RedisStreams extends RedisPart {
  constructor(
    calls: RedisCalls,
    keys: RedisKeys,
    private readonly options: RedisStreamsOptions,
  ) {
    super(calls, keys);
  }

  async append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult> {
    const { publish, idempotencyTtlMs } = this.options;
    const k = this.keys.stream(stream);
    const script = this.calls.run(
      SCRIPTS.append,
      [k.meta, k.msgs, k.idem, k.idemq],
      [
        encodeBody(msg),
        idempotencyKey ?? '',
        String(this.options.now()),
        String(idempotencyTtlMs),
        String(this.options.retention),
        randomUUID(),
        this.keys.channel(stream),
      ],
      (reply) => {
        const [dup, epoch, member] = reply as [number, string, string];
        const result: AppendResult = {
          message: decodeMember(stream, member),
          epoch,
          duplicate: dup === 1,
        };
        // On the reply itself (not after the index SET below), so that the
        // publish order is the order Redis ran the appends in.
        if (!result.duplicate) publish(result.message);
        return result;
      },
    );
    if (idempotencyKey === undefined) return this.calls.track(script);
    const index = this.calls.track(
      this.client.set(this.keys.idemIndex(idempotencyKey), stream, 'PX', idempotencyTtlMs),
    );
    const [result] = await Promise.all([this.calls.track(script), index]);
    return result;
  }

  async original(idempotencyKey: string): Promise<AppendResult | undefined> {
    const stream = await this.calls.track(this.client.get(this.keys.idemIndex(idempotencyKey)));
    if (stream === null) return undefined;
    const k = this.keys.stream(stream);
    const reply = await this.calls.script<[string, string] | null>(
      SCRIPTS.original,
      [k.meta, k.idem],
      [idempotencyKey, String(this.options.now()), String(this.options.idempotencyTtlMs)],
    );
    if (!reply) return undefined;
    return { message: decodeMember(stream, reply[1]), epoch: reply[0], duplicate: true };
  }

  read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult> {
    return this.readStream(stream, 'after', String(afterSeq), limit);
  }

  readBefore(stream: StreamKey, beforeSeq: number | undefined, limit: number): Promise<ReadResult> {
    return this.readStream(
      stream,
      'before',
      beforeSeq === undefined ? '' : String(beforeSeq),
      limit,
    );
  }

  private async readStream(
    stream: StreamKey,
    direction: 'after' | 'before',
    seq: string,
    limit: number,
  ): Promise<ReadResult> {
    const k = this.keys.stream(stream);
    const n = limit === Infinity ? -1 : limit > 0 ? Math.floor(limit) : 0;
    const reply = await this.calls.script<string[]>(
      SCRIPTS.read,
      [k.meta, k.msgs],
      [direction, seq, String(n), randomUUID()],
    );
    const [epoch, top, first, ...members] = reply;
    const messages = members.map((m) => decodeMember(stream, m));
    if (direction === 'before') messages.reverse();
    return { epoch: epoch!, top: Number(top), firstRetained: Number(first), messages };
  }
}
