/**
 * docs/protocol.md §7: every server option settable by flag and by CHAT_<NAME>;
 * the config loader merges defaults < config file (YAML or JSON) < environment
 * < command line, and refuses bad values with a ConfigError naming the source,
 * the option and what is accepted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ConfigError,
  describeSource,
  formatConfig,
  loadConfig,
  parseAddress,
  resolveConfig,
  showValue,
} from '../../src/server/config.js';
import { envName, flagName, SERVER_OPTIONS, type OptionSpec } from '../../src/server/options.js';
import { ircServerName } from '../../src/server/options-irc.js';
import { motdReadError, readMotd } from '../../src/server/motd.js';

const dir = mkdtempSync(join(tmpdir(), 'chat-config-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Write a config file and return its path. */
function file(text: string, ext = 'yaml'): string {
  const path = join(dir, `c${++files}.${ext}`);
  writeFileSync(path, text);
  return path;
}

/** Assert loadConfig throws a ConfigError whose message matches every pattern. */
function refused(
  cli: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  ...patterns: RegExp[]
): void {
  assert.throws(
    () => loadConfig(cli, env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
      assert.equal(err.name, 'ConfigError');
      for (const p of patterns) assert.match(err.message, p);
      return true;
    },
  );
}

/** A valid non-default value for an option, as the string a user would type. */
function sample(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'string':
      return `value-for-${spec.key}`;
    case 'level':
      return spec.default === 'debug' ? 'warn' : 'debug';
    case 'choice':
      return spec.choices![spec.choices!.length - 1]!;
    case 'address':
      return '127.0.0.2:9100';
    case 'bool':
      return spec.default === true ? 'false' : 'true';
    case 'int': {
      const min = spec.min ?? 0;
      const candidate = typeof spec.default === 'number' ? spec.default + 1 : min + 1;
      return String(spec.max !== undefined && candidate > spec.max ? min : candidate);
    }
  }
}

function parsed(spec: OptionSpec, s: string): unknown {
  if (spec.kind === 'int') return Number(s);
  if (spec.kind === 'bool') return s === 'true';
  if (spec.kind === 'address') return { host: '127.0.0.2', port: 9100 };
  return s;
}

/** What a file's value becomes: relative paths resolve against the file's folder (18.7). */
function fromFileValue(spec: OptionSpec, s: string): unknown {
  return spec.path ? join(dir, s) : parsed(spec, s);
}

const settable = SERVER_OPTIONS.filter((s) => s.key !== 'config');

describe('loadConfig: defaults', () => {
  const c = loadConfig({}, {});

  test('docs/protocol.md defaults', () => {
    assert.equal(c.host, '127.0.0.1'); // §7
    assert.equal(c.port, 50000); // §7
    assert.equal(c.handshakeTimeout, 30); // §2
    assert.equal(c.maxLineBytes, 16384); // §1
    assert.equal(c.maxQueuedBytes, 4 * 1024 * 1024); // §6
    assert.equal(c.maxMessageLines, 20); // §6
    assert.equal(c.historyOnJoin, 20); // §2
    assert.equal(c.shutdownGrace, 5); // §8
    assert.equal(c.heartbeat, 30); // docs/protocol.md
    assert.equal(c.maxFileBytes, 10 * 1024 * 1024); // §5
    assert.equal(c.fileIdleTimeout, 120); // §5
    assert.equal(c.config, undefined);
  });

  test('§6 rate and announce defaults', () => {
    const r = c as unknown as Record<string, unknown>;
    assert.equal(r.rateBurst, 10);
    assert.equal(r.ratePerSecond, 5);
    assert.equal(r.rateQueue, 20);
    assert.equal(r.announceLimit, 100);
  });

  test('every option has its table default', () => {
    for (const spec of SERVER_OPTIONS) {
      assert.equal((c as unknown as Record<string, unknown>)[spec.key], spec.default, spec.key);
    }
  });

  test('the result is frozen', () => {
    assert.ok(Object.isFrozen(c));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    }, TypeError);
  });

  test('an empty config file gives the defaults', () => {
    const d = loadConfig({ config: file('') }, {});
    assert.equal(d.port, 50000);
    assert.equal(d.host, '127.0.0.1');
  });

  test('a config file of only comments gives the defaults', () => {
    assert.equal(loadConfig({ config: file('# nothing here\n') }, {}).port, 50000);
  });
});

describe('loadConfig: names (§7)', () => {
  test('flags are kebab-case and env vars CHAT_ + SNAKE_CASE', () => {
    assert.equal(flagName('maxLineBytes'), 'max-line-bytes');
    assert.equal(envName('maxLineBytes'), 'CHAT_MAX_LINE_BYTES');
    assert.equal(envName('port'), 'CHAT_PORT');
    assert.equal(envName('db'), 'CHAT_DB');
  });

  const documented: Array<[string, string]> = [
    ['--host', 'CHAT_HOST'],
    ['--port', 'CHAT_PORT'],
    ['--db', 'CHAT_DB'],
    ['--handshake-timeout', 'CHAT_HANDSHAKE_TIMEOUT'],
    ['--max-line-bytes', 'CHAT_MAX_LINE_BYTES'],
    ['--max-queued-bytes', 'CHAT_MAX_QUEUED_BYTES'],
    ['--history-on-join', 'CHAT_HISTORY_ON_JOIN'],
    ['--log-level', 'CHAT_LOG_LEVEL'],
    ['--config', 'CHAT_CONFIG'],
  ];
  for (const [flag, env] of documented) {
    test(`${flag} / ${env} exist`, () => {
      const spec = SERVER_OPTIONS.find((s) => `--${flagName(s.key)}` === flag);
      assert.ok(spec, `no option for ${flag}`);
      assert.equal(envName(spec.key), env);
    });
  }

  for (const flag of ['--tls-cert', '--tls-key', '--require-account']) {
    test(`${flag} exists (§7)`, () => {
      assert.ok(
        SERVER_OPTIONS.some((s) => `--${flagName(s.key)}` === flag),
        flag,
      );
    });
  }
});

/** Options that are only valid with a partner, given here on the command line. */
const PARTNERS: Record<string, Record<string, string>> = {
  tlsCert: { tlsKey: 'key.pem' },
  tlsKey: { tlsCert: 'cert.pem' },
};

describe('loadConfig: every option from every source', () => {
  for (const spec of settable) {
    const value = sample(spec);
    const want = parsed(spec, value);
    const partner = PARTNERS[spec.key] ?? {};

    test(`${spec.key} from the command line`, () => {
      const c = loadConfig({ ...partner, [spec.key]: value }, {}) as unknown as Record<
        string,
        unknown
      >;
      assert.deepEqual(c[spec.key], want);
    });

    test(`${spec.key} from ${envName(spec.key)}`, () => {
      const c = loadConfig(partner, { [envName(spec.key)]: value }) as unknown as Record<
        string,
        unknown
      >;
      assert.deepEqual(c[spec.key], want);
    });

    test(`${spec.key} from a YAML file as ${flagName(spec.key)}`, () => {
      const path = file(`${flagName(spec.key)}: ${JSON.stringify(value)}\n`);
      const c = loadConfig({ ...partner, config: path }, {}) as unknown as Record<string, unknown>;
      assert.deepEqual(c[spec.key], fromFileValue(spec, value));
    });

    test(`${spec.key} from a JSON file as ${spec.key}`, () => {
      const path = file(
        JSON.stringify({ [spec.key]: spec.kind === 'address' ? value : want }),
        'json',
      );
      const c = loadConfig({ ...partner, config: path }, {}) as unknown as Record<string, unknown>;
      assert.deepEqual(c[spec.key], fromFileValue(spec, value));
    });
  }
});

describe('loadConfig: precedence defaults < file < env < CLI', () => {
  const path = file('port: 6001\nhost: file.example\nmax-line-bytes: 1024\n');

  test('file over defaults', () => {
    const c = loadConfig({ config: path }, {});
    assert.equal(c.port, 6001);
    assert.equal(c.host, 'file.example');
    assert.equal(c.maxLineBytes, 1024);
    assert.equal(c.config, path);
  });

  test('env over file', () => {
    const c = loadConfig({ config: path }, { CHAT_PORT: '6002' });
    assert.equal(c.port, 6002);
    assert.equal(c.host, 'file.example');
  });

  test('CLI over env over file', () => {
    const c = loadConfig({ config: path, port: '6003' }, { CHAT_PORT: '6002' });
    assert.equal(c.port, 6003);
  });

  test('CLI over env without a file', () => {
    assert.equal(loadConfig({ port: '7000' }, { CHAT_PORT: '6000' }).port, 7000);
  });

  test('each source contributes its own options', () => {
    const c = loadConfig(
      { config: path, host: 'cli.example' },
      { CHAT_HISTORY_ON_JOIN: '5', CHAT_LOG_LEVEL: 'warn' },
    );
    assert.equal(c.host, 'cli.example'); // CLI
    assert.equal(c.historyOnJoin, 5); // env
    assert.equal(c.logLevel, 'warn'); // env
    assert.equal(c.port, 6001); // file
    assert.equal(c.maxLineBytes, 1024); // file
    assert.equal(c.handshakeTimeout, 30); // default
  });

  test('CHAT_CONFIG names the file', () => {
    assert.equal(loadConfig({}, { CHAT_CONFIG: path }).port, 6001);
  });

  test('--config wins over CHAT_CONFIG', () => {
    const other = file('port: 6100\n');
    assert.equal(loadConfig({ config: other }, { CHAT_CONFIG: path }).port, 6100);
  });

  test('an empty environment variable counts as unset', () => {
    const c = loadConfig({ config: path }, { CHAT_PORT: '', CHAT_HOST: '' });
    assert.equal(c.port, 6001);
    assert.equal(c.host, 'file.example');
  });

  test('unrelated environment variables are ignored', () => {
    const c = loadConfig({}, { PORT: '1', HOST: 'x', CHAT_UNKNOWN: 'y', chat_port: '2' });
    assert.equal(c.port, 50000);
    assert.equal(c.host, '127.0.0.1');
  });

  test('the environment object passed in is not modified', () => {
    const env = { CHAT_PORT: '6000' };
    loadConfig({}, env);
    assert.deepEqual(env, { CHAT_PORT: '6000' });
  });
});

describe('loadConfig: file formats', () => {
  test('YAML accepts kebab-case and camelCase keys', () => {
    const c = loadConfig({ config: file('max-line-bytes: 2048\nhistoryOnJoin: 3\n') }, {});
    assert.equal(c.maxLineBytes, 2048);
    assert.equal(c.historyOnJoin, 3);
  });

  test('YAML numbers may be quoted', () => {
    assert.equal(loadConfig({ config: file('port: "6001"\n') }, {}).port, 6001);
  });

  test('YAML with comments and a document marker', () => {
    const c = loadConfig(
      { config: file('---\n# chat\nport: 6005 # inline\nlog-level: debug\n') },
      {},
    );
    assert.equal(c.port, 6005);
    assert.equal(c.logLevel, 'debug');
  });

  test('JSON file', () => {
    const c = loadConfig(
      { config: file('{"port": 6006, "max-line-bytes": 4096, "db": ":memory:"}', 'json') },
      {},
    );
    assert.equal(c.port, 6006);
    assert.equal(c.maxLineBytes, 4096);
    assert.equal(c.db, ':memory:');
  });

  test('db :memory: from the command line', () => {
    assert.equal(loadConfig({ db: ':memory:' }, {}).db, ':memory:');
  });
});

describe('loadConfig: ConfigError messages', () => {
  test('a bad port on the command line names the source, the flag, the range and the value', () => {
    refused({ port: 'abc' }, {}, /command line/u, /\bport\b/u, /0 to 65535/u, /"abc"/u);
  });

  test('a port out of range', () => {
    refused({ port: '70000' }, {}, /\bport\b/u, /0 to 65535/u, /70000/u);
  });

  for (const bad of ['-1', '1.5', '1e3', '0x10', '', ' ', 'NaN', '50000abc']) {
    test(`port ${JSON.stringify(bad)} refused`, () => refused({ port: bad }, {}, /\bport\b/u));
  }

  test('a bad environment value names the variable', () => {
    refused({}, { CHAT_PORT: 'x' }, /environment CHAT_PORT/u, /\bport\b/u, /"x"/u);
  });

  test('a bad file value names the file', () => {
    const path = file('port: x\n');
    refused({ config: path }, {}, /config file/u, new RegExp(escape(path), 'u'), /\bport\b/u);
  });

  test('a bad file value is reported even when the CLI overrides another option', () => {
    refused({ config: file('max-line-bytes: 1\n'), port: '1' }, {}, /max-line-bytes/u, /64/u);
  });

  test('a value below the minimum names the range', () => {
    refused({ maxLineBytes: '10' }, {}, /max-line-bytes/u, /64 to 1048576/u);
    refused({ handshakeTimeout: '0' }, {}, /handshake-timeout/u);
  });

  test('a fractional number in a file is refused', () => {
    refused({ config: file('port: 6001.5\n') }, {}, /\bport\b/u);
  });

  test('a bad log level lists the accepted ones', () => {
    refused(
      { logLevel: 'loud' },
      {},
      /log-level/u,
      /fatal, error, warn, info, debug, trace/u,
      /"loud"/u,
    );
  });

  test('an empty string option on the command line is refused', () => {
    refused({ host: '' }, {}, /\bhost\b/u, /non-empty/u);
  });

  test('a string option given a number in a file is refused', () => {
    refused({ config: file('host: 12\n') }, {}, /\bhost\b/u);
  });

  test('an unknown option in the file is named', () => {
    refused({ config: file('colour: blue\n') }, {}, /unknown option "colour"/u);
  });

  test('config inside a config file is refused', () => {
    refused({ config: file(`config: ${JSON.stringify(join(dir, 'x.yaml'))}\n`) }, {}, /"config"/u);
  });

  test('a missing file says it cannot be read and why', () => {
    const missing = join(dir, 'does-not-exist.yaml');
    refused({ config: missing }, {}, /cannot read config file/u, /ENOENT/u);
  });

  test('a directory as config file cannot be read', () => {
    refused({ config: dir }, {}, /cannot read config file/u);
  });

  test('invalid YAML', () => {
    refused({ config: file('port: [1,\n') }, {}, /not valid YAML or JSON/u);
  });

  test('invalid JSON', () => {
    refused({ config: file('{"port": 1,,}', 'json') }, {}, /not valid YAML or JSON/u);
  });

  test('a list is not a mapping', () => {
    refused({ config: file('- port\n- 6000\n') }, {}, /must hold a mapping/u);
  });

  test('a scalar is not a mapping', () => {
    refused({ config: file('just words\n') }, {}, /must hold a mapping/u);
  });

  test('ConfigError is an Error', () => {
    const e = new ConfigError('x');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'ConfigError');
    assert.equal(e.message, 'x');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

test('--tls-cert without --tls-key (or the reverse) is a configuration error', () => {
  assert.throws(() => loadConfig({ tlsCert: 'cert.pem' }, {}), ConfigError);
  assert.throws(() => loadConfig({}, { CHAT_TLS_KEY: 'key.pem' }), ConfigError);
});

describe('loadConfig: config polish (18.7)', () => {
  test('an unknown key suggests the closest known one, with the line', () => {
    refused(
      { config: file('port: 6001\n\nhistroy-limit: 10\n') },
      {},
      /:3: unknown option "histroy-limit"/u,
      /did you mean "history-limit"/u,
    );
  });

  test('a key far from every option gets no suggestion', () => {
    assert.throws(
      () => loadConfig({ config: file('colour: blue\n') }, {}),
      (err: Error) => !/did you mean/u.test(err.message),
    );
  });

  test('camelCase keys are accepted like the flag names', () => {
    const c = loadConfig({ config: file('historyLimit: 12\nrate-burst: 3\n') }, {});
    assert.equal(c.historyLimit, 12);
    assert.equal(c.rateBurst, 3);
  });

  test('relative paths in a file resolve against its folder; absolute and :memory: stay', () => {
    const c = loadConfig(
      { config: file('db: data/chat.db\nmotd: ../motd.txt\nlog-file: /var/log/chat.log\n') },
      {},
    );
    assert.equal(c.db, join(dir, 'data/chat.db'));
    assert.equal(c.motd, join(dir, '../motd.txt'));
    assert.equal(c.logFile, '/var/log/chat.log');
    assert.equal(loadConfig({ config: file('db: ":memory:"\n') }, {}).db, ':memory:');
  });

  test('relative paths from the command line stay relative to the working folder', () => {
    assert.equal(loadConfig({ db: 'here.db' }, {}).db, 'here.db');
  });
});

describe('resolveConfig: sources (13.2)', () => {
  test('each value says where it came from', () => {
    const path = file('# comment\nport: 6001\nmax-line-bytes: 1024\n');
    const r = resolveConfig({ config: path, rateBurst: '4' }, { CHAT_LOG_LEVEL: 'warn' });
    assert.equal(describeSource(r.sources.port), `config file ${path}:2`);
    assert.equal(describeSource(r.sources.maxLineBytes), `config file ${path}:3`);
    assert.equal(describeSource(r.sources.logLevel), 'environment CHAT_LOG_LEVEL');
    assert.equal(describeSource(r.sources.rateBurst), 'command line --rate-burst');
    assert.equal(describeSource(r.sources.host), 'default');
    const table = formatConfig(r);
    assert.match(table, /^port\s+6001\s+config file .*:2$/mu);
  });

  test('passwords inside URLs are masked', () => {
    const spec = SERVER_OPTIONS.find((s) => s.key === 'host')!;
    assert.equal(showValue(spec, 'redis://u:hunter2@h:6379'), 'redis://u:********@h:6379');
    assert.equal(showValue({ ...spec, secret: true }, 'x'), '********');
  });

  test('--metrics takes HOST:PORT or a bare port meaning loopback', () => {
    assert.deepEqual(parseAddress('9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseAddress('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
    assert.deepEqual(parseAddress('[::1]:9464'), { host: '::1', port: 9464 });
    assert.equal(parseAddress('nope'), undefined);
    assert.equal(parseAddress('70000'), undefined);
    refused({ metrics: 'x:y' }, {}, /command line --metrics/u, /HOST:PORT/u);
  });

  test('--log-format lists what is allowed', () => {
    refused({ logFormat: 'xml' }, {}, /log-format must be one of json, pretty/u);
  });
});

describe('loadConfig: audit findings', () => {
  test('--server-name must be usable as the prefix of every IRC reply', () => {
    for (const bad of [
      'bad name',
      'tab\there',
      'bell\x07',
      'irc:6667',
      'nick!user',
      '-lead',
      '.dot',
      'a'.repeat(64),
      'käse',
    ]) {
      refused(
        { serverName: bad },
        {},
        /command line --server-name/u,
        /letters, digits/u,
        new RegExp(escape(JSON.stringify(bad)), 'u'),
      );
    }
    for (const good of [
      'irc.example.org',
      'chat-1',
      'my_host',
      'localhost',
      '10.0.0.1',
      'a'.repeat(63),
    ]) {
      assert.equal(loadConfig({ serverName: good }, {}).serverName, good);
    }
  });

  test('--server-name from the environment or a file is checked too', () => {
    refused({}, { CHAT_SERVER_NAME: 'two words' }, /environment CHAT_SERVER_NAME/u);
    refused({ config: file('server-name: "a b"\n') }, {}, /config file/u, /server-name/u);
  });

  test('the default server name (the host name) is always a valid one', () => {
    assert.equal(ircServerName(undefined, 'vm'), 'vm');
    assert.equal(ircServerName(undefined, 'box.example.org'), 'box.example.org');
    assert.equal(ircServerName('irc.example.org', 'vm'), 'irc.example.org');
    for (const host of ['', 'my host', 'b\u00e4r', 'x'.repeat(80)]) {
      const name = ircServerName(undefined, host);
      assert.equal(name, 'chat-server', `for host name ${JSON.stringify(host)}`);
      assert.doesNotThrow(() => loadConfig({ serverName: name }, {}));
    }
  });

  test('--max-topic-bytes is at least 1 (0 would refuse every /topic)', () => {
    refused({ maxTopicBytes: '0' }, {}, /max-topic-bytes must be a whole number from 1 to 16384/u);
    assert.equal(loadConfig({ maxTopicBytes: '1' }, {}).maxTopicBytes, 1);
  });

  test('--irc-port equal to --port on the same address is refused: the IRC listener needs its own port', () => {
    refused({ port: '6667', ircPort: '6667' }, {}, /--irc-port 6667/u, /--port/u, /own port/u);
    refused(
      { host: '0.0.0.0', port: '6667', ircPort: '6667', ircHost: '127.0.0.1' },
      {},
      /own port/u,
    );
    refused({ port: '6667', ircPort: '6667', ircHost: '::' }, {}, /own port/u);
    refused({ config: file('port: 6667\nirc-port: 6667\n') }, {}, /own port/u);
    // Port 0 for both picks two free ports; distinct addresses may share a number.
    assert.equal(loadConfig({ port: '0', ircPort: '0' }, {}).ircPort, 0);
    const apart = loadConfig({ port: '6667', ircPort: '6667', ircHost: '127.0.0.2' }, {});
    assert.equal(apart.ircPort, 6667);
    assert.equal(loadConfig({ port: '6667', ircPort: '6668' }, {}).ircPort, 6668);
    // The IPv4 wildcard does not cover IPv6 loopback.
    const families = loadConfig(
      { host: '0.0.0.0', port: '6667', ircPort: '6667', ircHost: '::1' },
      {},
    );
    assert.equal(families.ircPort, 6667);
  });
});

describe('readMotd: an unreadable --motd says what is wrong and what to do', () => {
  const unreadable = (path: string, ...patterns: RegExp[]): void => {
    assert.throws(
      () => readMotd(path),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
        assert.match(err.message, new RegExp(`^cannot read --motd ${escape(path)}: `, 'u'));
        for (const p of patterns) assert.match(err.message, p);
        assert.match(err.message, /or leave --motd out/u);
        return true;
      },
    );
  };

  test('a missing file', () => {
    unreadable(
      join(dir, 'no-motd.txt'),
      /file not found \(ENOENT\)/u,
      /give an existing text file/u,
    );
  });

  test('a folder', () => {
    unreadable(dir, /is a folder \(EISDIR\)/u, /give a text file/u);
  });

  test('a file the server may not read', () => {
    // Root reads any file, so the error is made up; the wording is what is tested.
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const err = motdReadError('/etc/chat/motd.txt', denied);
    assert.ok(err instanceof ConfigError);
    assert.match(
      err.message,
      /^cannot read --motd \/etc\/chat\/motd\.txt: permission denied \(EACCES\)/u,
    );
    assert.match(err.message, /readable/u);
    assert.match(err.message, /or leave --motd out/u);
  });
});
