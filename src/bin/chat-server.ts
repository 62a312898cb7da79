#!/usr/bin/env node
import { main } from '../server/main.js';

// main resolves only once the server has stopped (gracefully, or at once on a
// second signal), so exiting here never cuts a flush short.
process.exit(await main(process.argv));
