/** IRC test clients over raw sockets: register, wait for numerics and commands. */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { parseIrcLine, type IrcMessage } from '../../src/protocol/irc-message.js';
import { LineClient } from './line-client.js';
import type { TestServer } from './server.js';

/** The IRC port of a test server started with `ircPort: 0`. */
export function ircPort(server: TestServer): number {
  const addr = server.app.irc?.address();
  assert.ok(addr, 'the server has an IRC listener');
  return addr.port;
}

export class IrcClient {
  constructor(readonly c: LineClient) {}

  static async connect(t: TestContext, port: number): Promise<IrcClient> {
    const c = await LineClient.connect(port);
    t.after(() => c.close());
    return new IrcClient(c);
  }

  /**
   * Connect and register as `nick` (CAP negotiation with `caps`, SASL PLAIN
   * when `sasl` is given); resolves after the end of the lobby's NAMES.
   */
  static async register(
    t: TestContext,
    port: number,
    nick: string,
    opts: { caps?: string[]; sasl?: [string, string]; pass?: string } = {},
  ): Promise<IrcClient> {
    const irc = await IrcClient.connect(t, port);
    const caps = [...(opts.caps ?? []), ...(opts.sasl ? ['sasl'] : [])];
    if (caps.length > 0) {
      irc.send('CAP LS 302');
      irc.send(`CAP REQ :${caps.join(' ')}`);
      await irc.expect((m) => m.command === 'CAP' && m.params[1] === 'ACK');
    }
    if (opts.pass) irc.send(`PASS ${opts.pass}`);
    if (opts.sasl) {
      irc.send('AUTHENTICATE PLAIN');
      await irc.expect((m) => m.command === 'AUTHENTICATE');
      irc.send(
        `AUTHENTICATE ${Buffer.from(`\0${opts.sasl[0]}\0${opts.sasl[1]}`).toString('base64')}`,
      );
      await irc.numeric('903');
    }
    irc.send(`NICK ${nick}`);
    irc.send(`USER ${nick} 0 * :${nick} test`);
    if (caps.length > 0) irc.send('CAP END');
    await irc.numeric('001');
    await irc.expect((m) => m.command === '366' && m.params[1] === '#lobby');
    return irc;
  }

  send(line: string): void {
    this.c.send(line);
  }

  /** The next message matching `pred` (earlier ones are consumed). */
  async expect(pred: (m: IrcMessage) => boolean, timeoutMs?: number): Promise<IrcMessage> {
    const line = await this.c.waitFor((l) => {
      try {
        return pred(parseIrcLine(l));
      } catch {
        return false;
      }
    }, timeoutMs);
    return parseIrcLine(line);
  }

  numeric(code: string): Promise<IrcMessage> {
    return this.expect((m) => m.command === code);
  }

  /** Prove nothing else is pending: a PING's PONG must be the next line. */
  async fence(): Promise<void> {
    this.send('PING fence');
    const line = await this.c.next();
    assert.match(
      line,
      / PONG \S+ :?fence$/u,
      `expected the PONG first; unread: ${this.c.unread().join(' | ')}`,
    );
  }
}
