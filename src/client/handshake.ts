/**
 * One connection attempt (docs/protocol.md §2): dial, send the hello, and wait
 * for the welcome or a refusal. After the welcome every line is handed on as
 * it comes, so the replay that follows a welcome is never read before it.
 */
import type net from 'node:net';
import split2 from 'split2';
import { TLS_ONLY } from '../protocol/errors.js';
import type { Hello, ServerEvent, WelcomeEvent } from '../protocol/messages.js';
import {
  describeSocketError,
  dial,
  formatEndpoint,
  type Endpoint,
  type TlsOptions,
} from './dial.js';
import { ConnectError, MAX_SERVER_LINE, parseServerLine } from './wire.js';

/** What the Connection does at each step of an attempt. */
export interface SessionHooks {
  /** The socket exists (so quitting during the handshake can close it). */
  opened(socket: net.Socket): void;
  /** Whether `socket` is still the one in use; lines of a replaced one are ignored. */
  current(socket: net.Socket): boolean;
  /** The hello to send, built when the socket is ready. */
  hello(): Hello;
  /** The welcome arrived; called before any later line is read. */
  welcomed(welcome: WelcomeEvent): void;
  /** A line after the welcome. */
  event(event: ServerEvent): void;
  /** The welcomed connection ended; why, in one line. */
  dropped(reason: string): void;
}

/**
 * Dial `endpoint` and complete the handshake; resolves with the welcome,
 * rejects with ConnectError (`refused` with the server's code, `unreachable`,
 * or `lost` when the server hung up mid-handshake).
 */
export function openSession(
  endpoint: Endpoint,
  opts: { tls?: TlsOptions; timeoutMs: number },
  hooks: SessionHooks,
): Promise<WelcomeEvent> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = dial(endpoint, opts.tls);
    hooks.opened(socket);
    const send = (message: object): void => {
      socket.write(JSON.stringify(message) + '\n');
    };
    let welcomed = false;
    let settled = false;
    let lastError: Error | undefined;
    const fail = (err: ConnectError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(
        new ConnectError('unreachable', `no answer from ${formatEndpoint(endpoint)} (timed out)`),
      );
    }, opts.timeoutMs);

    socket.setNoDelay(true);
    let greeted = false;
    socket.on(ready, () => {
      greeted = true;
      send(hooks.hello());
    });
    socket.on('error', (err) => {
      lastError = err;
    });
    const lines = split2({ maxLength: MAX_SERVER_LINE });
    // split2 fails on an over-long line: a broken server, so this connection ends.
    lines.on('error', (err) => socket.destroy(err));
    let heard = false;
    socket.pipe(lines).on('data', (line: string) => {
      heard = true;
      const event = parseServerLine(line);
      if (!event || !hooks.current(socket)) return;
      if (welcomed) {
        hooks.event(event);
      } else if (event.type === 'welcome') {
        welcomed = true;
        settled = true;
        clearTimeout(timer);
        hooks.welcomed(event);
        resolve(event);
      } else if (event.type === 'error' && event.message.startsWith(TLS_ONLY)) {
        // A TLS-only port told a plain connection so (§1): a TLS problem (exit 3).
        fail(new ConnectError('unreachable', event.message, event.code));
      } else if (event.type === 'error') {
        // §2: the server would let us retry, but the alias was given up front.
        fail(
          new ConnectError('refused', event.message, event.code, event.retryAfterMs, event.detail),
        );
      } else if (event.type === 'ping') {
        send({ type: 'pong' });
      }
    });
    socket.on('close', () => {
      if (!welcomed) {
        // chat-server greets every connection, so closing without a word is
        // something else: a TLS port that does not say so (another server)
        // dropping a plain hello, or a TCP proxy whose server is down.
        const silent = opts.tls
          ? ' (a proxy in front of a server that is down does that)'
          : ' (a TLS port does that: add --tls; so does a proxy in front of a server that is down)';
        const message = !greeted
          ? describeSocketError(lastError, endpoint)
          : heard
            ? 'the server closed the connection during the handshake'
            : `${formatEndpoint(endpoint)} took the connection and closed it without a word${silent}`;
        // Not a word from the server (not even its banner): most likely a TLS
        // port, so a failed TLS handshake (exit 3), not a lost connection (5).
        fail(new ConnectError(greeted && heard ? 'lost' : 'unreachable', message));
      } else if (hooks.current(socket)) {
        hooks.dropped(describeSocketError(lastError, endpoint));
      }
    });
  });
}
