/**
 * The users online on this node, by folded alias, keeping their keys' hashes
 * so the mention scan of a big room's messages (protocol/mention.ts) makes a
 * string only of words that may be an online alias.
 */
import { KeyHashes, type KeyLookup } from '../protocol/mention.js';
import type { User } from './model.js';

export class OnlineUsers extends Map<string, User> implements KeyLookup {
  private readonly hashes = new KeyHashes();

  override set(key: string, user: User): this {
    if (!this.has(key)) this.hashes.add(key);
    return super.set(key, user);
  }

  override delete(key: string): boolean {
    if (!super.delete(key)) return false;
    this.hashes.delete(key);
    return true;
  }

  override clear(): void {
    for (const key of this.keys()) this.hashes.delete(key);
    super.clear();
  }

  mayHaveHash(hash: number): boolean {
    return this.hashes.mayHave(hash);
  }
}
