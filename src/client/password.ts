/**
 * Where chat-client gets a password when the server asks for one (§2):
 * CHAT_PASSWORD (sent with the first hello, never retried when wrong), else a
 * prompt without echo at a terminal, a few times. It remembers why it had
 * none to give, so the refusal can say what to do.
 */
import { SecretCancelled } from '../tty/secret.js';

/** Password prompts at a terminal before giving up: as many as the server allows a connection (§2). */
const PASSWORD_TRIES = 3;

/** See the module comment. */
export class PasswordSource {
  private tries = 0;
  /** Set when the server wanted a password that there was no way to get. */
  unavailable = false;
  /** Set when the user pressed Ctrl-C or Ctrl-D at the prompt: they chose to leave. */
  cancelled = false;

  constructor(
    private given: string | undefined,
    /** Ask without echo; absent (or not interactive), nobody can be asked. */
    private readonly read: ((prompt: string) => Promise<string>) | undefined,
  ) {}

  /**
   * The user picked another alias (the first was taken): CHAT_PASSWORD was
   * for the first, and is not spent on someone else's account; a registered
   * new alias is asked for its own at the terminal.
   */
  otherAlias(): void {
    this.given = undefined;
    this.tries = 0;
  }

  /** Whether CHAT_PASSWORD is what the hello sends (not dropped by otherAlias). */
  get preset(): boolean {
    return this.given !== undefined;
  }

  /** A password for `alias` (after a wrong one when `wrong`), or undefined to give up. */
  async ask(alias: string, wrong: boolean): Promise<string | undefined> {
    // A wrong CHAT_PASSWORD is reported, not retried or replaced by a prompt.
    if (this.given !== undefined) return wrong ? undefined : this.given;
    if (!this.read) {
      this.unavailable = true;
      return undefined;
    }
    if (this.cancelled || this.tries >= PASSWORD_TRIES) return undefined;
    this.tries += 1;
    try {
      return await this.read(`${wrong ? 'Wrong password. ' : ''}Password for ${alias}: `);
    } catch (err) {
      if (!(err instanceof SecretCancelled)) throw err;
      this.cancelled = true;
      return undefined;
    }
  }
}
