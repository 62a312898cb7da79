#!/usr/bin/env node
/** chat-client: the terminal chat client. All logic is in src/client/main.ts. */
import { main } from '../client/main.js';

process.exitCode = await main();
