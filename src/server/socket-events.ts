/**
 * Socket events reach their connection through one set of module-level
 * handlers instead of four closures per connection (an idle connection's
 * size is what limits how many a server holds). Any connection class can
 * use it: the IRC session and the native one (connection.ts) do.
 */
import type { Socket } from 'node:net';

/** What a connection does with its socket's events. */
export interface SocketOwner {
  onData(chunk: Buffer): void;
  onError(err: NodeJS.ErrnoException): void;
  onEnd(): void;
  onClose(): void;
}

const OWNERS = new WeakMap<Socket, SocketOwner>();

function onSocketData(this: Socket, chunk: Buffer): void {
  OWNERS.get(this)?.onData(chunk);
}

function onSocketError(this: Socket, err: NodeJS.ErrnoException): void {
  OWNERS.get(this)?.onError(err);
}

function onSocketEnd(this: Socket): void {
  OWNERS.get(this)?.onEnd();
}

function onSocketClose(this: Socket): void {
  OWNERS.get(this)?.onClose();
}

/** Route `socket`'s data, error, end and close events to `owner`. */
export function attachSocket(socket: Socket, owner: SocketOwner): void {
  OWNERS.set(socket, owner);
  socket.on('data', onSocketData);
  socket.on('error', onSocketError);
  socket.on('end', onSocketEnd);
  socket.on('close', onSocketClose);
}
