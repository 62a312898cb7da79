/**
 * The TCP listener: accepts connections and hands each to a Session. `close`
 * stops accepting, tells every client, waits for their output to flush (up to
 * a grace period) and leaves no socket or timer behind.
 */
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import { TLS_ONLY, type ChatError } from '../protocol/errors.js';
import { errorEvent } from '../protocol/messages.js';
import { isAvailable } from '../core/commands/index.js';
import { JsonCodec } from '../protocol/json-codec.js';
import { frameText } from '../protocol/sanitize.js';
import { TextCodec } from '../protocol/text-codec.js';
import type { ServerConfig } from './config.js';
import { Admission, type AdmissionOptions } from './admission.js';
import { Session, type SessionDeps } from './session.js';
import type { Tally } from './tally.js';
import { ListeningPort, listenOn } from './listening.js';

export class Listener extends ListeningPort<Session> {
  /** One codec per mode for every session: each caches an event's bytes for all its readers. */
  private readonly json = new JsonCodec();
  private readonly text = new TextCodec(isAvailable);
  /** Shared with the IRC listener: the caps count every connection, whichever its protocol. */
  readonly admission: Admission;
  /** Shared with Admission, changed in place by reconfigure(). */
  private readonly admissionLimits: AdmissionOptions;
  /** What every session shares: one object, not one per connection. */
  private readonly deps: SessionDeps;

  constructor(
    private readonly chat: Chat,
    config: Readonly<ServerConfig>,
    log: Logger,
    banner: string,
    tally: Tally,
  ) {
    const admissionLimits: AdmissionOptions = {
      maxConnections: config.maxConnections,
      maxPerAddress: config.maxConnectionsPerAddress,
      acceptsPerSecond: config.acceptsPerSecond,
    };
    const admission = new Admission(admissionLimits, () => chat.clock.now());
    super(config, log, admission, {
      allowHalfOpen: true,
      idPrefix: '',
      tlsFailed: 'TLS handshake failed',
    });
    this.admissionLimits = admissionLimits;
    this.admission = admission;
    this.deps = {
      chat,
      config,
      log,
      defaultCodec: this.text,
      // §2: a first line that is a JSON object chooses JSON mode; anything else is an alias.
      choose: (frame) => {
        const line = frameText(frame).trim();
        if (line === '') return undefined;
        return line.startsWith('{') ? this.json : this.text;
      },
      banner: Buffer.from(banner),
      rateLimits: this.rateLimits,
      tally,
    };
    // Before listening, listen() reports the error (one line, no stack, from main).
    this.server.on('error', (err) => {
      if (this.server.listening) this.log.error({ err }, 'listener error');
    });
  }

  /** Start listening; resolves with the bound address (port 0 picks one). */
  listen(): Promise<AddressInfo> {
    const { host, port, listenBacklog: backlog } = this.config;
    return listenOn(this.server, { host, port, backlog });
  }

  /**
   * Apply a reloaded configuration (SIGHUP): flood control and the accept cap
   * (ListeningPort), and the connection caps, which the IRC port shares.
   */
  override reconfigure(config: Readonly<ServerConfig>): void {
    super.reconfigure(config);
    this.deps.config = config;
    Object.assign(this.admissionLimits, {
      maxConnections: config.maxConnections,
      maxPerAddress: config.maxConnectionsPerAddress,
      acceptsPerSecond: config.acceptsPerSecond,
    });
  }

  get listening(): boolean {
    return this.server.listening;
  }

  /** Logged-in connections by mode, plus those still in their handshake (a scrape-time walk). */
  connectionsByMode(): Map<string, number> {
    const counts = new Map<string, number>([
      ['text', 0],
      ['json', 0],
      ['handshake', 0],
    ]);
    for (const s of this.sessions) {
      const mode = s.loggedIn ? s.mode : 'handshake';
      counts.set(mode, (counts.get(mode) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * Graceful stop (§8): refuse new connections, send the shutdown notice, end
   * every connection, and destroy what has not closed after `graceMs`.
   */
  close(graceMs: number): Promise<void> {
    return this.closePort(graceMs, () => this.chat.shutdown());
  }

  protected refuseWithoutTls(first: Buffer): Buffer {
    const codec = this.deps.choose(first) ?? this.text;
    // A JSON hello's id comes back on its refusal (§4: one reply carrying it).
    const end = first.indexOf(10);
    const hello = codec.hello(end < 0 ? first : first.subarray(0, end));
    const id =
      hello.kind === 'login' ? hello.hello.id : hello.kind === 'error' ? hello.id : undefined;
    return codec.encode(
      errorEvent(
        'bad_request',
        `${TLS_ONLY}: connect with chat-client --tls (and --ca FILE for a private certificate), or openssl s_client -quiet -connect HOST:PORT`,
        id,
      ),
      { here: '' },
    );
  }

  protected connect(
    id: string,
    socket: Socket,
    gone: (s: Session) => void,
    refusal: ChatError | undefined,
  ): Session {
    return new Session(id, socket, this.deps, gone, refusal);
  }
}
