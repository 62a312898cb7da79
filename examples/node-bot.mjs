#!/usr/bin/env node
// A chat bot on the package's client library (`chat/client`, docs/protocol.md §4).
//
// It answers `!ping` with `pong` in the room (or privately), and survives
// server restarts: the library reconnects with backoff, resumes every stream
// from the last seq seen (so no ping is missed or answered twice) and re-sends
// an unacknowledged reply with its original id (so nobody sees it twice).
//
//   node examples/node-bot.mjs --host 127.0.0.1 --port 50000 --name nodebot [--room #builds]
//
// Outside this repository: `npm install chat`, then run it the same way.
import { parseArgs } from 'node:util';
import { connect } from 'chat/client';

const { values: opts } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.CHAT_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.CHAT_PORT ?? '50000' },
    name: { type: 'string', default: 'nodebot' },
    room: { type: 'string' },
  },
});

const chat = await connect({
  host: opts.host,
  port: Number(opts.port),
  name: opts.name,
  password: process.env.CHAT_PASSWORD,
});
console.error(`bot: signed in as ${chat.name} in ${chat.rooms.join(', ')}`);
if (opts.room) await chat.join(opts.room);

/** Answer without letting one refused reply stop the bot. */
function answer(reply) {
  reply.catch((err) => console.error(`bot: reply refused: ${err.code} ${err.message}`));
}

chat.on('message', (m) => {
  if (m.text.trim() === '!ping') answer(chat.say('pong', { room: m.room }));
});
chat.on('private', (m) => {
  if (m.text.trim() === '!ping') answer(chat.dm(m.from, 'pong'));
});
chat.on('reconnecting', ({ reason, delayMs }) =>
  console.error(`bot: ${reason}; reconnecting in ${delayMs} ms`),
);
chat.on('reconnected', () => console.error('bot: reconnected'));
chat.on('closed', ({ reason }) => {
  console.error(`bot: closed: ${reason}`);
  process.exitCode = 1;
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void chat.quit('bot stopped'));
}
