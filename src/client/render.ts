/**
 * How chat-client shows things: pure functions from wire events, and from the
 * acks of the user's own requests, to display strings (one or more lines, no
 * trailing newline). The shapes follow text mode (docs/protocol.md §3) so a
 * chat-client user and an `nc` user read the same transcript; the wording
 * comes from the shared phrasebook, the colours from paint.ts, the chat lines
 * from chat-lines.ts.
 */
import type { AckEvent, Request, ServerEvent } from '../protocol/messages.js';
import {
  ackPhrase,
  bansPhrases,
  connectedPhrase,
  count,
  HELP_HEAD,
  HELP_HINT,
  helpEntryPhrase,
  historyFootPhrase,
  historyEmptyPhrase,
  historyGapPhrase,
  historyHeadPhrase,
  joinTopicPhrase,
  morePhrase,
  roomsHeadPhrase,
  systemPhrase,
  welcomePhrase,
  whoEntryPhrase,
  whoHeadPhrase,
  whoisPhrases,
} from '../protocol/phrases.js';
import { privateMessage, roomMessage, time } from './chat-lines.js';
import { CLIENT_COMMANDS, clientHelpEntry } from './commands.js';
import {
  clean,
  columns,
  named,
  renderError,
  renderNotice,
  words,
  type RenderContext,
} from './paint.js';

export {
  aliasColor,
  renderError,
  renderNotice,
  shouldUseColor,
  type RenderContext,
} from './paint.js';

/**
 * Display text for an event from the server, or undefined when it shows
 * nothing (acks: see renderAck; keep-alive pings).
 */
export function renderEvent(e: ServerEvent, ctx: RenderContext): string | undefined {
  switch (e.type) {
    case 'message':
      return roomMessage(e, ctx);
    case 'private':
      return privateMessage(e, ctx);
    case 'system':
      return renderNotice(words(systemPhrase(e)), ctx);
    case 'welcome':
      return renderNotice(
        `${words(connectedPhrase(e))}\n${words(welcomePhrase(e))} ${HELP_HINT}, exit to leave.`,
        ctx,
      );
    case 'history': {
      if (e.messages.length === 0) {
        if (e.gap) return renderNotice(words(historyGapPhrase(e)), ctx);
        // A reply to /history carries its id; an empty replay after a join says nothing.
        return e.id === undefined ? undefined : renderNotice(words(historyEmptyPhrase(e)), ctx);
      }
      return [
        renderNotice(words(historyHeadPhrase(e)), ctx),
        ...e.messages.map((m) =>
          m.type === 'private' ? privateMessage(m, ctx) : roomMessage(m, ctx),
        ),
        renderNotice(words(historyFootPhrase(e)), ctx),
      ].join('\n');
    }
    case 'error':
      return renderError(e.message, e.code, ctx);
    case 'who': {
      const head = renderNotice(words(whoHeadPhrase(e)), ctx);
      // Staff marked as in text mode (`@Ana`), so students can tell who is an operator.
      const rows = e.users.map((u) => `    ${named(whoEntryPhrase(u), ctx)}`);
      const more = morePhrase(e);
      return [head, ...rows, ...(more ? [renderNotice(words(more), ctx)] : [])].join('\n');
    }
    case 'whois':
      return renderNotice(whoisPhrases(e, time).map(words).join('\n'), ctx);
    case 'rooms': {
      const head = renderNotice(words(roomsHeadPhrase(e)), ctx);
      const rows = columns(
        e.rooms.map((r) => [
          clean(r.name),
          `${count(r.members, 'member', 'members')}${r.topic ? `  ${clean(r.topic)}` : ''}`,
        ]),
      );
      const more = morePhrase(e) ? [renderNotice(words(morePhrase(e)!), ctx)] : [];
      return [head, ...rows, ...more].join('\n');
    }
    case 'help': {
      const commands = e.commands.map(clientHelpEntry);
      const only = commands.length === 1 ? commands[0] : undefined;
      if (only) return renderNotice(words(helpEntryPhrase(only)), ctx);
      const rows = columns([
        ...commands.map((c): [string, string] => [clean(c.usage), clean(c.summary)]),
        ...CLIENT_COMMANDS.map((c): [string, string] => [c.usage, c.summary]),
        ['exit, quit, Ctrl-D', 'leave the chat'],
      ]);
      const head = renderNotice(HELP_HEAD, ctx);
      return [head, ...rows].join('\n');
    }
    case 'ack':
    case 'ping':
    case 'pong':
      return undefined;
  }
}

/**
 * Display text for the server's ack of `request`, or undefined when there is
 * nothing to say. A `say` or `dm` shows the user's own line here, once the
 * server has stored it, with the server's timestamp: the server never echoes
 * it back (§3 split horizon).
 */
export function renderAck(ack: AckEvent, request: Request, ctx: RenderContext): string | undefined {
  const room = clean(ack.room ?? ('room' in request ? request.room : undefined));
  const name = clean(ack.name ?? ('name' in request ? request.name : undefined));
  switch (request.type) {
    case 'say':
      return roomMessage(
        {
          ts: ack.ts,
          room: request.room ?? ack.room ?? ctx.room,
          from: ctx.self,
          text: request.text,
          action: request.action ?? false,
        },
        ctx,
      );
    case 'dm': {
      // The ack names the recipient as they spell it ("/msg bob" shows "Bob").
      const to = ack.name ?? request.to;
      const line = privateMessage(
        {
          ts: ack.ts,
          from: ctx.self,
          to,
          text: request.text,
          action: request.action ?? false,
        },
        ctx,
      );
      // A dm's ack carries the recipient's away text, if any (text mode says the same).
      const away = `${clean(to)} is away: ${clean(ack.text)}`;
      if (ack.offline) {
        const later = `${clean(to)} is offline; they get it at their next login`;
        return `${line}\n${renderNotice(later, ctx)}`;
      }
      return ack.text ? `${line}\n${renderNotice(away, ctx)}` : line;
    }
    case 'join':
    case 'nick':
    case 'topic':
    case 'away':
    case 'ignore':
    case 'unignore':
    case 'mute':
    case 'unmute':
    case 'ban':
    case 'unban':
    case 'passwd': {
      const phrase = ackPhrase({
        ...ack,
        op: request.type,
        room: room || undefined,
        name: name || undefined,
      });
      const line = phrase && renderNotice(words(phrase), ctx);
      if (line && request.type === 'join' && ack.topic?.text)
        return `${line}\n${renderNotice(words(joinTopicPhrase(room || undefined, ack.topic)), ctx)}`;
      return line;
    }
    case 'part':
      // Worded as text mode words it (text-encode.ts), with the new current room.
      return renderNotice(
        ack.text ? `You left ${room}; current room is ${clean(ack.text)}` : `You left ${room}`,
        ctx,
      );
    case 'register':
      return renderNotice(`${clean(ctx.self)} is now registered`, ctx);
    case 'kick':
      // The server sends the operator the room's `system` kick line, worded
      // like everyone else's (who kicked whom and why): no second line here.
      return undefined;
    case 'bans':
      return bansPhrases(ack.bans ?? [])
        .map((p) => renderNotice(words(p), ctx))
        .join('\n');
    default:
      return undefined;
  }
}
