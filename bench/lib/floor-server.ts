/**
 * The floor for scenarios (c) and (g): a bare Node `net.Server` that holds
 * idle connections as cheaply as Node allows and relays without framing,
 * storing or batching, so that chat-server's bytes per connection and CPU
 * per message can be read against what Node and the kernel cost, by the same
 * bench on the same machine. (g) runs it itself (`node-relay`); for (c):
 *
 *   CHAT_BENCH_SERVER_JS=$PWD/dist/bench/lib/floor-server.js node dist/bench/run.js --scenario c --no-ncat
 *
 * (an absolute path: the bench starts every server in a fresh directory).
 *
 * It takes chat-server's `--host`/`--port` (and ignores the rest), answers a
 * client's first line with `welcome <line>` (the bench's join test), then
 * relays every later chunk to every other socket, as `ncat --chat` does. One
 * set of module-level handlers; per socket only a flag and a Set entry.
 */
import net, { type Socket } from 'node:net';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};

const joined = new Set<Socket>();

function onData(this: Socket, chunk: Buffer): void {
  if (!joined.has(this)) {
    joined.add(this);
    const lf = chunk.indexOf(0x0a);
    const alias = chunk.toString('latin1', 0, lf < 0 ? chunk.length : lf).trim();
    this.write(`welcome ${alias}\n`);
    return;
  }
  for (const s of joined) if (s !== this) s.write(chunk);
}

function onClose(this: Socket): void {
  joined.delete(this);
}

function onError(): void {
  // A reset peer: 'close' follows and removes it.
}

net
  .createServer((socket) => {
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
  })
  .listen(Number(arg('--port', '0')), arg('--host', '127.0.0.1'));
