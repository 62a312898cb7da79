/**
 * A user's place in the chat (docs/protocol.md §3): rooms joined and left,
 * a new alias or account, and leaving the chat (a quit, a dropped connection,
 * a kick). The bookkeeping behind each (rooms, leases, presence, the online
 * index, private streams) and the neighbours' notice happen together here.
 */
import type { SystemEvent } from '../protocol/messages.js';
import { LOBBY, type Name } from '../protocol/names.js';
import type { AccountRecord } from '../store/store.js';
import type { Chat } from './chat.js';
import { identityOf, type Room, type User } from './model.js';
import { finishReplay, readReplay, roomTarget } from './replay.js';

/** The quit reason of a session its server closed for a shutdown (§8). */
export const SHUTDOWN_REASON = 'server shutting down';

export class Membership {
  constructor(private readonly chat: Chat) {}

  /** Add a user to a room, announce it and replay the room's recent history (§2, §3 /join). */
  async join(user: User, room: Room, history = this.chat.options.historyOnJoin): Promise<void> {
    const chat = this.chat;
    this.addMember(user, room);
    const target = roomTarget(chat, user, room);
    user.hold(target.key);
    let read;
    try {
      await room.stream.ready;
      read = await readReplay(
        chat,
        user,
        target,
        { after: undefined, epoch: undefined },
        Math.min(history, chat.options.historyOnJoin),
      );
    } finally {
      finishReplay(chat, user, target, read);
    }
  }

  /** `quiet`: the user is back in a room it never left as far as the others know (§9). */
  addMember(user: User, room: Room, quiet = false): void {
    if (user.rooms.has(room.name.key)) return;
    if (!quiet)
      this.chat.announcer.announce(
        [room],
        this.chat.system('join', { room: room.name.display, user: user.name.display }),
        user,
        'joined',
      );
    room.members.add(user);
    room.namesVersion++;
    user.rooms.set(room.name.key, room);
    if (user.lease) void this.chat.cluster.markPresent(user, [room]);
  }

  removeMember(user: User, room: Room): void {
    const chat = this.chat;
    room.members.delete(user);
    room.namesVersion++;
    user.rooms.delete(room.name.key);
    user.release(room.name.key);
    user.forgetStream(room.name.key);
    if (user.connected && user.lease) chat.cluster.leftRoom(user, room.name.key);
    if (room.members.size === 0 && room.name.key !== LOBBY.key) {
      chat.announcer.stopPresence(room);
      chat.rooms.delete(room.name.key);
      void chat.options.bus.unsubscribe(room.name.key);
      room.stream.reached();
    }
  }

  /**
   * Give a user a new alias, signed in to `account` (or none): the old alias
   * is free at once, and neighbours are told (§3 /nick). A guest keeps its
   * private stream across /nick; moving to or from an account changes it.
   * A new alias is claimed first (its lease decides between nodes).
   */
  async rename(
    user: User,
    name: Name,
    account: AccountRecord | undefined = user.account,
  ): Promise<void> {
    const chat = this.chat;
    const old = user.name;
    if (old.key !== name.key) {
      if (!account) await chat.cluster.assertNoRemoteLookalike(name);
      const lease = await chat.cluster.claim(name, user.peer.id, account, {
        takeover: false,
        ...(!account && { guestId: user.guestId }),
        address: user.peer.address,
      });
      let lost;
      try {
        lost = await chat.cluster.adopt(name, identityOf(account, user.guestId));
      } catch (err) {
        void chat.options.leases.release(lease.key, lease.token).catch(() => undefined);
        throw err;
      }
      // Its own session under the new alias, lost with a server: this one is
      // already seen under the old alias, so that one has gone (§9).
      if (lost) chat.cluster.announceGone(name, [...lost.values()]);
      if (!user.connected) {
        void chat.options.leases.release(lease.key, lease.token).catch(() => undefined);
        return;
      }
      void chat.cluster.releaseLease(user);
      user.lease = lease;
      user.leaseConfirmedAt = chat.now();
      chat.cluster.unmarkPresent(old.key, ['*', ...user.rooms.keys()]);
    }
    // Into another account (`/nick name password`): its other sessions give way, as at login.
    if (account && account.key !== user.account?.key)
      chat.cluster.signedIn(account, user.peer.id, user.instance);
    chat.logins.removeUser(user);
    user.name = name;
    for (const room of user.rooms.values()) room.namesVersion++;
    chat.logins.addUser(user);
    // Marks the user present under its new name too (Cluster.accountChanged).
    void this.setAccount(user, account);
    if (old.display !== name.display)
      chat.audit({ action: 'nick', actor: old.display, target: name.display });
    if (old.key !== name.key) {
      const to = { key: name.key, display: name.display };
      chat.followRename(old.key, to);
      chat.cluster.sendSignal({ t: 'renamed', node: chat.options.node, from: old.key, ...to });
    }
    chat.announcer.announce(
      [...user.rooms.values()],
      chat.system('nick', { user: old.display, name: name.display }),
      user,
    );
  }

  /** Sign a user in to an account (/nick, /register): the private stream follows the identity. */
  setAccount(user: User, account: AccountRecord | undefined): Promise<void> {
    const before = user.privateStream;
    user.account = account;
    this.chat.streams.rebindPrivate(user, before);
    // Settled once other nodes read the account in its lease and presence.
    return this.chat.cluster.accountChanged(user);
  }

  /** `operator`: the operator's session when on this node (it reads the kick line too). */
  ejectBy(target: User, by: string, reason: string | undefined, operator?: User): void {
    const chat = this.chat;
    const event = chat.system('kick', {
      user: target.name.display,
      by,
      ...(reason && { reason }),
    });
    target.peer.send(event);
    // The operator reads the very line the room and the kicked user read (who
    // kicked whom and why, docs/protocol.md §2), also from outside the rooms.
    const told =
      operator === undefined ||
      operator === target ||
      [...target.rooms.values()].some((r) => r.members.has(operator));
    chat.transfers.leave(target, 'was kicked');
    this.disconnect(target, reason ?? 'kicked', event);
    if (!told) chat.announcer.deliver(operator, event);
    target.peer.close('kicked');
  }

  /** End a session whose account changed under it (reset password, removed account). */
  signOut(user: User, why: string): void {
    user.peer.send({ type: 'error', code: 'auth_required', message: `Signed out: ${why}` });
    this.disconnect(user, 'signed out');
    user.peer.close('account changed');
  }

  /** Remove a user whose connection ended; `reason` is shown to the others. */
  disconnect(
    user: User,
    reason: string,
    event: SystemEvent = this.chat.system('quit', { user: user.name.display, reason }),
  ): void {
    const chat = this.chat;
    if (!user.connected) return;
    user.connected = false;
    // A JSON guest holds its session token and comes back as itself (text
    // and IRC guests never see theirs): its private messages may wait a moment.
    const dropped = reason === 'connection lost' || reason === 'timed out';
    if (dropped && !user.account && user.peer.mode === 'json') {
      chat.droppedGuests.remember(user.name.key, user.name.display, user.privateStream, chat.now());
    }
    // Its program may reconnect: not over a sign-in of another program meanwhile (§2).
    if (dropped && user.account && user.instance !== undefined) {
      chat.cluster.wentAway(user.account.key, user.instance);
    }
    // A dropped connection may come back and resume (§5); leaving for good ends them first.
    chat.transfers.suspend(user);
    // A node of a cluster stopping (§8, §9): its users go on through another
    // node, as after a crash. No quit is announced and their presence is
    // left to lapse: the node they come back through takes their place
    // unannounced (adopt), or the reaper tells the rooms a lease time later.
    // Announced, a rolling restart showed the others a quit and a join for
    // everyone on the node (a hands-on trial), where a kill -9 showed nothing.
    const handedOver = reason === SHUTDOWN_REASON && !chat.options.solo;
    if (!handedOver) {
      // A kick is moderation everyone in the rooms reads, big rooms too (§2);
      // only plain leaves are gathered into a big room's presence notice (§6).
      const presence = event.event === 'kick' ? undefined : 'left';
      chat.announcer.announce([...user.rooms.values()], event, user, presence);
      chat.cluster.unmarkPresent(user.name.key, ['*', ...user.rooms.keys()]);
    }
    for (const room of [...user.rooms.values()]) this.removeMember(user, room);
    chat.logins.removeUser(user);
    chat.streams.unsubscribePrivate(user);
    void chat.cluster.releaseLease(user);
  }
}
