/**
 * The core's events for one IRC connection (docs/protocol.md "IRC"):
 * broadcasts go out as the shared encoder made them (once per event and
 * capability set); what depends on the reader (its own JOIN echo, the kicked
 * user's KICKs, acks and errors of its own requests as numerics) is made
 * here from irc-render.ts's lines. Events before the welcome wait for it.
 */
import type { User } from '../core/model.js';
import type { IrcCap, IrcEventEncoder, IrcView } from '../protocol/irc-codec.js';
import type {
  AckEvent,
  ErrorEvent,
  Request,
  ServerEvent,
  SystemEvent,
} from '../protocol/messages.js';
import { foldKey } from '../protocol/names.js';
import { plain, systemPhrase } from '../protocol/phrases.js';
import type { Chat } from '../core/chat.js';
import type { Pending } from './irc-requests.js';
import { findRoom, names, noSuchNick, remoteWhois, whoReplyLines } from './irc-queries.js';
import {
  banMask,
  errorLines,
  kickedLines,
  namesLines,
  numericLine,
  selfLine,
  serverLine,
  topicLines,
  type IrcReplyContext,
} from './irc-render.js';

/**
 * A join from another node, asked once for all of this node's IRC clients
 * (they share the event): the joiner's display name when its alias lease
 * says operator, else undefined.
 */
const remoteOperators = new WeakMap<SystemEvent, Promise<string | undefined>>();

function remoteOperator(chat: Chat, e: SystemEvent): Promise<string | undefined> {
  let asked = remoteOperators.get(e);
  if (!asked) {
    asked = chat.remoteUser(e.user ?? '').then(
      (owner) => (owner?.operator ? owner.display : undefined),
      () => undefined, // Redis away: the NAMES of a later JOIN still shows the @.
    );
    remoteOperators.set(e, asked);
  }
  return asked;
}

/** Events held between login and the welcome (the core sends few; a backstop). */
const MAX_EARLY_EVENTS = 10_000;

/** What the events need of their connection. */
export interface EventHost {
  readonly deps: {
    readonly chat: Chat;
    readonly serverName: string;
    readonly encoder: IrcEventEncoder;
  };
  readonly user: User | undefined;
  readonly ctx: IrcReplyContext;
  readonly view: IrcView;
  readonly registration: { nick: string | undefined; readonly caps: { has(c: IrcCap): boolean } };
  write(bytes: Buffer): void;
  reply(lines: readonly string[]): void;
  numeric(code: string, ...params: string[]): void;
  serverNotice(text: string, target?: string): void;
  /** The welcome arrived: send 001 and on. */
  welcomed(): void;
  /** Input held since the login goes on. */
  releaseInput(): void;
  /** Send a request to the core; its answer comes back as an event with `pending`. */
  request(req: Request, pending: Pending): void;
  /** The pending request an ack or error answers (forgotten once answered). */
  answered(id: string | undefined): Pending | undefined;
}

export class IrcEvents {
  /** 001 was sent: events flow; before it they wait in `early`. */
  private welcomed = false;
  private early: ServerEvent[] | undefined = [];
  /** Channels this client was told it is in (JOIN sent, PART/KICK not yet). */
  readonly channels = new Set<string>();
  /**
   * Cluster mode: channels joined whose NAMES the core has not answered yet,
   * with their events (history, messages) held until it has. Clients expect
   * 353/366 right after the JOIN, before anything said in the channel.
   */
  private namesFirst: Map<string, ServerEvent[]> | undefined;
  /** Remote joins whose operator lookup is under way, by room and user (folded). */
  private opsAsked: Map<string, { user: string }> | undefined;

  constructor(private readonly h: EventHost) {}

  private get serverTime(): boolean {
    return this.h.registration.caps.has('server-time');
  }

  send(event: ServerEvent): void {
    if (!this.welcomed && event.type !== 'welcome') {
      if (this.early && this.early.length < MAX_EARLY_EVENTS) this.early.push(event);
      return;
    }
    if (this.namesFirst !== undefined && this.heldForNames(event)) return;
    const h = this.h;
    switch (event.type) {
      case 'welcome': {
        this.welcomed = true;
        h.welcomed();
        for (const room of event.rooms) this.joined(room);
        const early = this.early ?? [];
        this.early = undefined;
        for (const e of early) this.send(e);
        h.releaseInput();
        return;
      }
      case 'history':
        return this.history(event);
      case 'message':
      case 'system': {
        if (event.type === 'system' && this.system(event)) return;
        const bytes = h.deps.encoder.shared(event, this.serverTime);
        if (bytes) h.write(bytes);
        return;
      }
      case 'private':
        if (foldKey(event.from) === foldKey(h.ctx.nick)) return;
        h.write(h.deps.encoder.privateBytes(event, h.view));
        return;
      case 'ack':
        return this.ack(event);
      case 'error':
        return this.error(event);
      case 'who': {
        // NAMES or WHO #chan in cluster mode (irc-commands.ts): the core's list, every node's.
        const p = h.answered(event.id);
        if (p?.command === 'NAMES' || p?.command === 'WHO')
          h.reply(whoReplyLines(h.ctx, p.command, event));
        if (p?.command === 'NAMES') this.namesSent(p.target);
        return;
      }
      case 'whois': {
        // WHOIS of a user on another node (irc-commands.ts).
        const p = h.answered(event.id);
        if (p?.command === 'WHOIS') h.reply(remoteWhois(h.ctx, event));
        return;
      }
      default:
        // rooms, help, ping, pong: IRC asks for these its own way.
        return;
    }
  }

  /** System events that depend on the recipient; true when handled here. */
  private system(e: SystemEvent): boolean {
    const h = this.h;
    // A remote joiner that leaves before its operator lookup answers gets no MODE after its PART.
    const leaves =
      e.event === 'part' || e.event === 'quit' || e.event === 'kick' || e.event === 'nick';
    if (this.opsAsked && e.user !== undefined && leaves) {
      const who = foldKey(e.user);
      for (const [key, asked] of this.opsAsked) if (asked.user === who) this.opsAsked.delete(key);
    }
    switch (e.event) {
      case 'kick': {
        // The others get one QUIT (the shared encoding); the kicked user leaves each channel.
        if (foldKey(e.user ?? '') !== h.user?.name.key) return false;
        const rooms = [...(h.user?.rooms.values() ?? [])].map((r) => r.name.display);
        this.channels.clear();
        h.reply(kickedLines(h.deps.serverName, e.by, h.ctx.nick, rooms, e.reason));
        return true;
      }
      case 'presence': {
        // Big rooms (§6): the aggregate names the recipient too, whose JOIN was already sent.
        const me = h.user?.name.key;
        if (!e.room || ![...(e.joined ?? []), ...(e.left ?? [])].some((n) => foldKey(n) === me))
          return false;
        const others = (list: string[] | undefined): string[] =>
          (list ?? []).filter((n) => foldKey(n) !== me);
        const bytes = h.deps.encoder.shared(
          { ...e, joined: others(e.joined), left: others(e.left) },
          this.serverTime,
        );
        if (bytes) h.write(bytes);
        return true;
      }
      case 'join': {
        // The JOIN as every member gets it, then the `@` the joiner has (an
        // operator): clients show prefixes from mode changes, and NAMES was
        // long past for those already in the channel.
        const bytes = h.deps.encoder.shared(e, this.serverTime);
        if (bytes) h.write(bytes);
        if (!e.room || e.user === undefined) return true;
        const room = e.room;
        const joiner = h.deps.chat.users.get(foldKey(e.user));
        const op = (nick: string): void =>
          h.reply([serverLine(h.deps.serverName, 'MODE', [room, '+o', nick])]);
        if (joiner) {
          if (joiner.account?.operator && joiner !== h.user) op(joiner.name.display);
        } else if (!h.deps.chat.options.solo) {
          // Joined on another node: its alias lease says whether it is an operator.
          const who = foldKey(e.user);
          const key = `${foldKey(room)}\n${who}`;
          const asked = { user: who };
          (this.opsAsked ??= new Map()).set(key, asked);
          void remoteOperator(h.deps.chat, e).then((nick) => {
            if (this.opsAsked?.get(key) !== asked) return; // left, or joined again, meanwhile
            this.opsAsked.delete(key);
            if (
              nick !== undefined &&
              this.channels.has(findRoom(h.deps.chat, room)?.name.key ?? room)
            )
              op(nick);
          });
        }
        return true;
      }
      case 'reset':
      case 'shutdown':
      case 'mute':
      case 'unmute':
      case 'file':
        // No IRC line for these: a server NOTICE in the phrasebook's words
        // (a mute and an unmute go only to the user they are about).
        h.serverNotice(plain(systemPhrase(e)));
        return true;
      case 'away':
        return true;
      default:
        return false;
    }
  }

  private history(e: Extract<ServerEvent, { type: 'history' }>): void {
    if (e.messages.length === 0) return;
    const h = this.h;
    const enc = h.deps.encoder;
    const view = h.view;
    const chunks: Buffer[] = [];
    // Framed for every client, not only those without server-time: irssi asks
    // for server-time but shows the time of arrival (show_server_time is off
    // by default), so unframed history would read as live chat.
    const bracket = e.room !== '@';
    if (bracket)
      h.serverNotice(`*** Recent history of ${e.room} (${e.messages.length} messages):`, e.room);
    for (const m of e.messages) {
      if (m.type === 'message') chunks.push(enc.stamp(enc.roomMessageLines(m), m.ts, view));
      else chunks.push(enc.privateBytes(m, view));
    }
    h.write(Buffer.concat(chunks));
    if (bracket) h.serverNotice(`*** End of history of ${e.room}`, e.room);
  }

  /** This client is now in `room`: JOIN echo, topic, names. */
  private joined(room: string): void {
    const h = this.h;
    const r = findRoom(h.deps.chat, room);
    const key = r?.name.key ?? room;
    if (this.channels.has(key)) return;
    this.channels.add(key);
    const chan = r?.name.display ?? room;
    h.reply([selfLine(h.deps.serverName, h.ctx.nick, 'JOIN', [chan])]);
    if (r && r.topic !== '') h.reply(topicLines(h.ctx, r));
    // In cluster mode the core lists every node's members; its answer comes after the join.
    if (!h.deps.chat.options.solo) {
      (this.namesFirst ??= new Map()).set(foldKey(chan), []);
      h.request({ type: 'who', room: chan }, { command: 'NAMES', target: chan });
    }
    // After a join's ack the core adds the member: the list names the joiner either way.
    else h.reply(names(h.ctx, h.deps.chat, chan, h.user));
  }

  private ack(e: AckEvent): void {
    const h = this.h;
    const p = h.answered(e.id);
    if (!p) {
      // An ack without a request of ours: a dm's away notice sent without an id.
      if (e.op === 'dm' && e.text && e.name) h.numeric('301', e.name, e.text);
      return;
    }
    const self = (command: string, params: string[], trailing = false, nick = h.ctx.nick): void =>
      h.reply([selfLine(h.deps.serverName, nick, command, params, trailing)]);
    switch (e.op) {
      case 'say':
      case 'dm': {
        if (e.op === 'dm' && e.text && !p.quiet) h.numeric('301', e.name ?? p.target, e.text);
        if (h.registration.caps.has('echo-message') && p.text !== undefined) {
          const target = e.op === 'say' ? (e.room ?? p.target) : (e.name ?? p.target);
          const enc = h.deps.encoder;
          const list = enc.textLines(
            p.from ?? h.ctx.nick,
            target,
            p.text,
            p.action ?? false,
            p.command,
          );
          h.write(enc.stamp(list, e.ts, h.view));
        }
        return;
      }
      case 'join':
        if (e.room) this.joined(e.room);
        return;
      case 'part': {
        const room = e.room ?? p.target;
        this.channels.delete(findRoom(h.deps.chat, room)?.name.key ?? foldKey(room));
        self('PART', p.reason ? [room, p.reason] : [room], p.reason !== undefined);
        return;
      }
      case 'nick':
        self('NICK', [e.name ?? p.target], false, p.oldNick);
        h.registration.nick = e.name ?? p.target;
        return;
      case 'topic':
        if (e.room) self('TOPIC', [e.room, e.text ?? ''], true);
        return;
      case 'away':
        if (e.text) h.numeric('306', 'You have been marked as being away');
        else h.numeric('305', 'You are no longer marked as being away');
        return;
      case 'bans':
        if (p.banList) {
          const since = (at: string): string => String(Math.floor(Date.parse(at) / 1000));
          h.reply([
            ...(e.bans ?? []).map((b) =>
              numericLine(h.ctx, '367', p.target, banMask(b), b.by, since(b.at)),
            ),
            numericLine(h.ctx, '368', p.target, 'End of channel ban list'),
          ]);
        }
        return;
      case 'ban':
      case 'unban':
        // MODE ±b (irc-commands.ts): the mode change as a channel shows it.
        if (p.mask !== undefined) self('MODE', [p.target, e.op === 'ban' ? '+b' : '-b', p.mask]);
        return;
      default:
        return;
    }
  }

  /** Whether `event` is for a channel still waiting for its NAMES (then it is held). */
  private heldForNames(event: ServerEvent): boolean {
    const room =
      event.type === 'message' || event.type === 'history' || event.type === 'system'
        ? event.room
        : undefined;
    if (room === undefined) return false;
    const held = this.namesFirst?.get(foldKey(room));
    // A backstop as for `early`: past it, order gives way to delivery.
    if (!held || held.length >= MAX_EARLY_EVENTS) return false;
    held.push(event);
    return true;
  }

  /** The NAMES of `chan` went out: what waited for it follows. */
  private namesSent(chan: string): void {
    const key = foldKey(chan);
    const held = this.namesFirst?.get(key);
    if (!held) return;
    this.namesFirst!.delete(key);
    if (this.namesFirst!.size === 0) this.namesFirst = undefined;
    for (const e of held) this.send(e);
  }

  /** A core error: the numeric for the command that asked, or a NOTICE (none for NOTICE). */
  error(e: ErrorEvent): void {
    const h = this.h;
    const p = h.answered(e.id);
    if (!p) return h.serverNotice(e.message);
    if (p.quiet) return;
    // A channel nobody is in: an empty list, as the local queries answer it.
    if (p.command === 'NAMES') {
      h.reply(namesLines(h.ctx, p.target, undefined));
      return this.namesSent(p.target);
    }
    if (p.command === 'WHO') return h.numeric('315', p.target, 'End of /WHO list');
    if (p.command === 'WHOIS') return h.reply(noSuchNick(h.ctx, p.target));
    const exists = findRoom(h.deps.chat, p.target) !== undefined;
    h.reply(errorLines(h.ctx, p.command, p.target, e.code, e.message, exists));
  }
}
