/**
 * What the parts of the cluster (core/cluster.ts, core/cluster-presence.ts)
 * share: the signals nodes send each other, what they need of the chat on
 * this node, and the error for an unreachable store.
 */
import type { SystemEvent } from '../protocol/messages.js';
import { ChatError } from '../protocol/errors.js';
import type { BanRecord, TopicRecord } from '../store/store.js';
import type { Clock } from './clock.js';
import type { User } from './model.js';

/**
 * A notice between nodes (Bus.signal): system events for rooms whose members
 * may be on other nodes, and requests to the node that holds a user.
 */
export type Signal =
  | {
      t: 'announce';
      node: string;
      /** Room keys: each node delivers `event` once to each of its members of any of them. */
      rooms: string[];
      event: SystemEvent;
      /** Folded alias of the user the event is about (not told). */
      except?: string;
      /** Big rooms aggregate this instead (§6). */
      presence?: { kind: 'joined' | 'left'; name: string };
    }
  | { t: 'eject'; node: string; key: string; by: string; reason?: string }
  /** A ban was recorded: each node removes whoever of its users it covers. */
  | { t: 'ban'; node: string; ban: BanRecord }
  /** `by`: the login taking the session over (absent from nodes that did not send it). */
  | { t: 'takeover'; node: string; key: string; session: string; by?: TakeoverBy }
  /**
   * An account signed in (its password was right): its sessions under other
   * aliases, on every node, give way (one session per account).
   */
  | { t: 'signedIn'; node: string; account: string; by?: TakeoverBy }
  /**
   * Client program `instance` had its session taken over (on the sending
   * node): every node refuses its reconnect (docs/protocol.md §2, `displaced`).
   */
  | { t: 'displaced'; node: string; instance: string }
  /** A mute or topic lock changed in the store: each node reads them again. */
  | { t: 'moderation'; node: string }
  /** A notice for one user (folded alias `key`), from the node where an operator acted (a mute). */
  | { t: 'tell'; node: string; key: string; event: SystemEvent }
  /** A room's topic was stored: each node serves it from now on (§9). */
  | { t: 'topic'; node: string; room: string; topic: TopicRecord }
  /** A user took another alias: whoever ignores the old one ignores the new one too (§3). */
  | { t: 'renamed'; node: string; from: string; key: string; display: string };

/**
 * The login that takes a session over: its client program (hello.instance;
 * undefined for a text or IRC login, which has none). A holder of another
 * program is displaced; the holder's own program reconnecting is not.
 */
export interface TakeoverBy {
  instance?: string | undefined;
}

/** The store (Redis) could not be reached: refused with a code clients can act on. */
export function unavailable(): ChatError {
  return new ChatError(
    'internal',
    'The server cannot reach its shared store right now; try again shortly',
    undefined,
    'unavailable',
  );
}

/** What the cluster needs of the chat on this node. */
export interface ClusterHost {
  readonly users: Map<string, User>;
  readonly clock: Clock;
  /** Remove a user whose session ended; `reason` is shown to the others. */
  disconnect(user: User, reason: string): void;
  /** Read mutes and topic locks again from the store (another node changed one). */
  reloadModeration(): void;
  /** Another node stored a room's topic (by room key): show it here too. */
  topicChanged(roomKey: string, topic: TopicRecord): void;
  /** A user renamed from alias key `from` (on any node): ignores follow it here. */
  followRename(from: string, to: { key: string; display: string }): void;
  /**
   * Send one of this node's users another node's notice (a `tell`), once
   * the moderation read that the same node's signal started has finished:
   * told "muted", the user is refused from its next line on.
   */
  tellHere(user: User, event: SystemEvent): void;
  /** Remove a user on an operator's word (a kick or ban from any node). */
  ejectBy(target: User, by: string, reason: string | undefined): void;
  /** This node's share of an announce: its members of the rooms. */
  announceHere(
    roomKeys: string[],
    event: SystemEvent,
    except: string | undefined,
    presence: { kind: 'joined' | 'left'; name: string } | undefined,
  ): void;
}
