/**
 * Admitting a user (docs/protocol.md §2): once the handshake's checks have
 * passed, the user joins `#lobby` (or the rooms it resumes), its streams are
 * subscribed before their history is read, and the welcome, the MOTD and the
 * replayed history go out as the connection's first job.
 */
import { muteNotice } from './moderation.js';
import { ChatError } from '../protocol/errors.js';
import { WELCOME_MEMBERS, type Hello } from '../protocol/messages.js';
import { LOBBY, parseAlias } from '../protocol/names.js';
import type { AccountRecord } from '../store/store.js';
import type { Presence } from '../store/lease.js';
import type { Chat } from './chat.js';
import { guestIdOf, newSessionToken } from './guest-session.js';
import { takeOffline } from './inbox.js';
import { User, type Peer, type Room } from './model.js';
import {
  finishReplay,
  privateTarget,
  readReplay,
  resumePoint,
  resumeRooms,
  roomTarget,
  type ResumeFrom,
} from './replay.js';

export class Welcomes {
  constructor(private readonly chat: Chat) {}

  /**
   * Admit a peer that completed its handshake (§2): claim the alias, join
   * `#lobby` (or the resumed rooms), announce, then welcome and replay history.
   * Throws `bad_alias` or `alias_taken`; nothing changes in that case.
   * `continued`: the rooms of this identity's session on a server that
   * stopped (Cluster.adopt); those it is back in are not announced again,
   * those it is not back in hear it has gone. `newGuest`: a guest whose
   * session token was made for this login, so nothing is stored under its
   * identity yet (no private messages, no ignores) and none of it is read.
   */
  connect(
    peer: Peer,
    hello: Pick<Hello, 'name' | 'history' | 'resume' | 'session' | 'id' | 'instance'>,
    account?: AccountRecord,
    continued?: ReadonlyMap<string, string>,
    newGuest = false,
  ): User {
    const name = parseAlias(hello.name);
    this.chat.logins.assertAliasFree(name, undefined, account);
    // One hello must not create a thousand rooms (§6): rooms past the cap are not joined.
    const resumed = resumeRooms(hello.resume).slice(0, this.chat.options.limits.maxRoomsPerUser);
    const lobby = this.chat.streams.room(LOBBY);
    const user = new User(name, lobby, peer, this.chat.now());
    user.account = account;
    user.instance = hello.instance;
    // Guests: the token the client kept from an earlier welcome, or a new one.
    const session = account ? undefined : (hello.session ?? newSessionToken());
    if (session !== undefined) user.guestId = guestIdOf(session);
    this.chat.logins.addUser(user);
    this.chat.droppedGuests.signedIn(name.key, user.privateStream);
    const privateReady = this.chat.streams.subscribePrivate(user, newGuest && !account);

    const joined =
      resumed.length > 0 ? resumed : [{ room: LOBBY, after: undefined, epoch: undefined }];
    for (const j of joined)
      this.chat.membership.addMember(
        user,
        this.chat.streams.room(j.room),
        continued?.has(j.room.key),
      );
    if (continued) {
      const left = [...continued].filter(([k]) => !user.rooms.has(k)).map(([, d]) => d);
      this.chat.cluster.announceParted(user.name, left);
    }
    user.current = user.rooms.values().next().value ?? lobby;
    const count = hello.history ?? this.chat.options.historyOnJoin;
    const targets = joined.map((j) => roomTarget(this.chat, user, user.rooms.get(j.room.key)!));
    const starts: ResumeFrom[] = [...joined];
    const dms = resumePoint(hello.resume?.['@']);
    if (dms) {
      targets.push(privateTarget(this.chat, user));
      starts.push(dms);
    }
    // Every stream holds its live messages from now on, before any read: the
    // first read flushes pending appends, which must not reach a stream whose
    // replay has not started yet (they would arrive live, then again replayed).
    for (const t of targets) user.hold(t.key);
    // An account's private messages that came while it was offline (§4 dm),
    // or a returning guest's while its connection was down: replayed once,
    // unasked, unless the client resumes `@` itself.
    const returning = account !== undefined || (hello.session !== undefined && !newGuest);
    const inbox = returning && !dms ? privateTarget(this.chat, user) : undefined;
    if (inbox) user.hold(inbox.key);
    void this.chat.cluster.markPresent(user);
    // Resume order (docs/architecture.md): every stream is subscribed (its live messages
    // held for this user) before its history is read.
    const live = [privateReady, ...[...user.rooms.values()].map((r) => r.stream.ready)];
    const reads = Promise.all(live).then(() =>
      Promise.all(
        // `count` is read only after a reset (§4: the recent history), `@` too.
        targets.map((t, i) => readReplay(this.chat, user, t, starts[i]!, count)),
      ),
    );
    const unread = Promise.all(live).then(async () => {
      if (!inbox) return undefined;
      const from = await takeOffline(this.chat.options.store, user.privateStream, this.chat.now());
      if (from === undefined) return undefined;
      return readReplay(this.chat, user, inbox, { after: from - 1, epoch: undefined }, 0);
    });
    // The welcome and its replay are this connection's first job: requests
    // that arrive meanwhile wait behind it (§4 "Order").
    // The ignore list is the user's, kept by the store (docs/protocol.md §3
    // /ignore): loaded before the replay, which it filters.
    const ignores =
      newGuest && !account
        ? undefined
        : this.chat.options.store.getIgnores(user.identity).then((list) => user.setIgnores(list));
    // Who else is in the current room on other nodes, for the greeting (§2).
    const current = user.current;
    const elsewhere = this.chat.options.solo
      ? Promise.resolve([])
      : this.chat.options.leases.presence(current.name.key).then(
          (ps) =>
            ps.filter((p) => p.node !== this.chat.options.node && !this.chat.users.has(p.key)),
          () => [], // The greeting names fewer people; nothing else depends on it.
        );
    this.chat.order.inOrder(user, () =>
      Promise.all([ignores, reads, unread, elsewhere]).then(
        ([, results, offline, others]) => {
          if (!user.connected) return;
          const epochs: Record<string, string> = {};
          // Each stream's top as read: what a bot resumes from (§4 welcome.seqs).
          const seqs: Record<string, number> = {};
          results.forEach((r, i) => {
            epochs[targets[i]!.display] = r.result.epoch;
            seqs[targets[i]!.display] = r.result.top;
          });
          const members = this.someMembers(current, user, others);
          const memberCount = current.members.size + others.length;
          peer.send({
            type: 'welcome',
            ...(hello.id !== undefined && { id: hello.id }),
            name: name.display,
            rooms: [...user.rooms.values()].map((r) => r.name.display),
            members,
            memberCount,
            heartbeat: this.chat.options.heartbeatSeconds,
            limits: this.chat.options.limits,
            server: this.chat.options.server,
            epochs,
            seqs,
            ...(session !== undefined && { session }),
          });
          const motd = this.chat.options.motd?.();
          if (motd) peer.send(this.chat.system('motd', { text: motd }));
          // Still muted from before: said now, not at the first line refused (§3 /mute).
          const mute = this.chat.moderation.muteOf(user);
          if (mute) {
            peer.send(this.chat.system('mute', muteNotice(name.display, mute)));
            this.chat.moderation
              .holdSession(user, mute)
              ?.catch((err: unknown) => this.chat.options.onInternalError?.(err, 'storing a mute'));
          }
          results.forEach((r, i) => finishReplay(this.chat, user, targets[i]!, r));
          if (inbox) finishReplay(this.chat, user, inbox, offline);
          user.welcomeSent({
            room: current.name.display,
            members,
            complete: members.length === memberCount,
          });
        },
        (err: unknown) => {
          // No welcome is coming: what waited is told now, and all that follows.
          user.welcomeSent();
          this.chat.options.onInternalError?.(err, 'reading history on connect');
          targets.forEach((t) => finishReplay(this.chat, user, t, undefined));
          if (inbox) finishReplay(this.chat, user, inbox, undefined);
          this.chat.order.refuse(
            user,
            new ChatError('internal', 'The server could not read history'),
            undefined,
          );
        },
      ),
    );
    return user;
  }

  /** Up to WELCOME_MEMBERS display names of a room, `first` among them. */
  private someMembers(room: Room, first: User, elsewhere: Presence[]): string[] {
    const names = [first.name.display];
    for (const m of room.members) {
      if (names.length >= WELCOME_MEMBERS) break;
      if (m !== first) names.push(m.name.display);
    }
    for (const p of elsewhere) {
      if (names.length >= WELCOME_MEMBERS) break;
      names.push(p.display);
    }
    return names;
  }
}
