/**
 * The layers of docs/architecture.md are held by the linter, not by memory:
 * `npm run lint`'s own configuration refuses a wrong import in each layer.
 * Each case lints a real source file with one bad import added, so the test
 * fails if the rule is loosened, renamed or stops matching its paths.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

// Under CI=true typescript-eslint infers a "single run" and lints the files of
// its program as they are on disk, ignoring the text given to lintText (the
// added import): ask for the text to be parsed as given.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: { parserOptions: { disallowAutomaticSingleRunInference: true } },
});

/**
 * The no-restricted-imports messages for `file` with `line` prepended. A fatal
 * (parse) message means the file was not linted at all: that is reported as
 * itself, not as "no message".
 */
async function restricted(file: string, line: string): Promise<string[]> {
  const source = `${line}\n${readFileSync(file, 'utf8')}`;
  const [result] = await eslint.lintText(source, { filePath: file });
  const messages = result?.messages ?? [];
  const fatal = messages.filter((m) => m.fatal === true);
  if (fatal.length > 0) {
    throw new Error(
      `${file}: ESLint could not parse it: ${fatal.map((m) => m.message).join('; ')}`,
    );
  }
  return messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const CASES: Array<[string, string, string, RegExp]> = [
  [
    'client imports core',
    'src/client/roster.ts',
    "import { Chat } from '../core/chat.js';",
    /chat-client speaks the protocol only/u,
  ],
  [
    'client imports the store',
    'src/client/roster.ts',
    "import type { Store } from '../store/store.js';",
    /chat-client/u,
  ],
  [
    'protocol imports core',
    'src/protocol/phrases.ts',
    "import type { User } from '../core/model.js';",
    /imports nothing of ours/u,
  ],
  [
    'protocol imports a socket',
    'src/protocol/phrases.ts',
    "import { Socket } from 'node:net';",
    /wire contract/u,
  ],
  [
    'protocol imports the package facts (they read a file)',
    'src/protocol/phrases.ts',
    "import { VERSION } from '../meta/version.js';",
    /imports nothing of ours/u,
  ],
  [
    'core imports the package facts',
    'src/core/replay.ts',
    "import { VERSION } from '../meta/version.js';",
    /injected/u,
  ],
  [
    'core imports the file system',
    'src/core/replay.ts',
    "import { readFileSync } from 'node:fs';",
    /no I\/O/u,
  ],
  ['core imports process', 'src/core/replay.ts', "import process from 'node:process';", /no I\/O/u],
  [
    'core imports the server',
    'src/core/replay.ts',
    "import type { Session } from '../server/session.js';",
    /injected/u,
  ],
  [
    'a command imports the SQLite store',
    'src/core/commands/whois.ts',
    "import { SqliteStore } from '../../store/sqlite-store.js';",
    /injected/u,
  ],
];

describe('npm run lint refuses imports across layers', () => {
  for (const [what, file, line, message] of CASES) {
    test(what, async () => {
      const messages = await restricted(file, line);
      assert.equal(messages.length, 1, `${file}: ${JSON.stringify(messages)}`);
      assert.match(messages[0]!, message);
    });
  }

  test('the files themselves are clean (the rule is not simply always on)', async () => {
    for (const file of new Set(CASES.map(([, f]) => f))) {
      assert.deepEqual(await restricted(file, ''), [], file);
    }
  });
});
