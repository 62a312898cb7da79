#!/usr/bin/env node
/** chat-client: the terminal chat client. All logic is in src/client/main.ts. */
import { main } from '../client/main.js';

process.exitCode = await main();
// The run is over (a signal, the server's close): a piped stdin that stays
// open (a fifo, a parent that keeps its end) must not keep the process alive.
process.stdin.destroy();
