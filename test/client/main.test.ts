import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { CommanderError } from 'commander';
import { parseOptions } from '../../src/client/main.js';

const argv = (...args: string[]): string[] => ['node', 'chat-client', ...args];

/**
 * Run `fn` with CHAT_* variables set as in `env` (and no others): commander
 * reads the options' variables from process.env itself (`.env()`).
 */
function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => T): T {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('CHAT_')) delete process.env[key];
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

function parse(args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof parseOptions> {
  return withEnv(env, () => parseOptions(argv(...args), env, new PassThrough()));
}

describe('parseOptions', () => {
  it('defaults to 127.0.0.1:50000 with reconnect on', () => {
    assert.deepEqual(parse(['--name', 'Alice']), {
      host: '127.0.0.1',
      port: 50000,
      name: 'Alice',
      reconnect: true,
      quiet: false,
    });
  });

  it('takes CHAT_HOST, CHAT_PORT and CHAT_NAME when the flags are absent, flags first', () => {
    const env = { CHAT_HOST: 'chat.example', CHAT_PORT: '6000', CHAT_NAME: 'Bob' };
    assert.deepEqual(parse([], env), {
      host: 'chat.example',
      port: 6000,
      name: 'Bob',
      reconnect: true,
      quiet: false,
    });
    assert.deepEqual(
      parse(['--host', 'h', '--port', '7000', '--name', 'Carol', '--no-reconnect'], env),
      {
        host: 'h',
        port: 7000,
        name: 'Carol',
        reconnect: false,
        quiet: false,
      },
    );
  });

  it('takes --tls, --ca (implying --tls), --insecure and --quiet', () => {
    assert.deepEqual(parse(['--name', 'A', '--tls']).tls, { insecure: false });
    assert.deepEqual(parse(['--name', 'A', '--ca', 'ca.pem']).tls, {
      insecure: false,
      caFile: 'ca.pem',
    });
    assert.deepEqual(parse(['--name', 'A', '--insecure']).tls, { insecure: true });
    assert.equal(parse(['--name', 'A']).tls, undefined);
    assert.equal(parse(['--name', 'A', '--quiet']).quiet, true);
  });

  it('takes several servers, by comma or by repeating --host, each with or without a port', () => {
    const opts = parse([
      '--name',
      'A',
      '--host',
      'a:6001,b',
      '--host',
      '[::1]:6003',
      '--port',
      '6000',
    ]);
    assert.equal(opts.host, 'a');
    assert.equal(opts.port, 6001);
    assert.deepEqual(opts.failover, [
      { host: 'b', port: 6000 },
      { host: '::1', port: 6003 },
    ]);
    assert.deepEqual(parse(['--name', 'A'], { CHAT_HOST: 'x:7000,y:7001' }).failover, [
      { host: 'y', port: 7001 },
    ]);
  });

  it('prints its version, and help that ends with examples and names no file users lack', () => {
    for (const [flag, test] of [
      ['--version', /^\d+\.\d+\.\d+\n$/u],
      ['--help', /\nExamples:\n(?: {2}.*\n)+$/u],
    ] as const) {
      let out = '';
      const stdout = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => {
        out += chunk;
        return true;
      }) as typeof process.stdout.write;
      try {
        assert.throws(
          () => parse([flag]),
          (err: unknown) => err instanceof CommanderError && err.exitCode === 0,
        );
      } finally {
        process.stdout.write = stdout;
      }
      assert.match(out, test);
      assert.doesNotMatch(out, /PROTOCOL\.md/u);
    }
  });

  it('takes --room (or CHAT_ROOM), dev meaning #dev', () => {
    assert.equal(parse(['--name', 'A', '--room', '#builds']).room, '#builds');
    assert.equal(parse(['--name', 'A', '--room', 'dev']).room, '#dev');
    assert.equal(parse(['--name', 'A'], { CHAT_ROOM: 'ci' }).room, '#ci');
    assert.equal('room' in parse(['--name', 'A']), false);
  });

  it('sends CHAT_PASSWORD when connecting, and ignores an empty one', () => {
    assert.equal(parse(['--name', 'A'], { CHAT_PASSWORD: 's3cret' }).password, 's3cret');
    assert.equal('password' in parse(['--name', 'A'], { CHAT_PASSWORD: '' }), false);
  });

  it('refuses a missing alias, a bad port and unknown options with a one-line message', () => {
    for (const [args, env, message] of [
      [[], {}, /no alias given/u],
      [['--name', 'A', '--port', '99999'], {}, /port number/u],
      [['--name', 'A'], { CHAT_PORT: 'x' }, /CHAT_PORT/u],
      [['--name', 'A', '--bogus'], {}, /unknown option/u],
      [['--name', 'A', '--host', 'a:0'], {}, /--host "a:0": the port/u],
      [['--name', 'A', '--room', 'two words'], {}, /--room: Room names are/u],
    ] as const) {
      const stderr = new PassThrough();
      assert.throws(
        () => withEnv(env, () => parseOptions(argv(...args), env, stderr)),
        (err: unknown) => err instanceof CommanderError && err.exitCode !== 0,
      );
      const text = String(stderr.read());
      assert.match(text, message);
      assert.match(text, /^chat-client: [^\n]*\n$/u);
    }
  });
});
