/**
 * TLS material (docs/protocol.md §1, §7): PEM certificate and key read from files,
 * checked by building a secure context, so a bad file is reported at start
 * (or on SIGHUP, keeping the old one) rather than on the first handshake.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  createSecureContext,
  createServer as createTlsServer,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';
import { ConfigError, type ServerConfig } from './config.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

/** Read and check a PEM certificate chain and its private key. */
export function loadTls(certPath: string, keyPath: string): TlsFiles {
  const files = { cert: read(certPath, '--tls-cert'), key: read(keyPath, '--tls-key') };
  try {
    createSecureContext(files);
  } catch (err) {
    throw new ConfigError(
      `--tls-cert ${certPath} and --tls-key ${keyPath} do not make a usable TLS identity: ${(err as Error).message}`,
    );
  }
  return files;
}

/**
 * A plain TCP server, or a TLS one when the configuration names a
 * certificate and key. A failed handshake (a plain-TCP client, a scanner) is
 * that client's problem, not the server's: it is logged at debug as `what`.
 */
export function createPlainOrTlsServer(
  config: Readonly<Pick<ServerConfig, 'tlsCert' | 'tlsKey'>>,
  options: { allowHalfOpen: boolean },
  onSocket: (socket: Socket) => void,
  onHandshakeError: (err: Error, socket: TLSSocket) => void,
): { server: Server; tls: TlsServer | undefined } {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const tls = createTlsServer(
      {
        ...loadTls(config.tlsCert, config.tlsKey),
        ...(options.allowHalfOpen && { allowHalfOpen: true }),
      },
      onSocket,
    );
    tls.on('tlsClientError', onHandshakeError);
    return { server: tls, tls };
  }
  const server = createServer(
    { noDelay: true, ...(options.allowHalfOpen && { allowHalfOpen: true }) },
    onSocket,
  );
  return { server, tls: undefined };
}

/**
 * Re-read the certificate and key (SIGHUP): new connections use them, open
 * ones keep theirs. A bad file throws (ConfigError) and the old identity stays.
 */
export function reloadTls(
  tls: TlsServer | undefined,
  config: Readonly<Pick<ServerConfig, 'tlsCert' | 'tlsKey'>>,
): TlsFiles | undefined {
  if (!tls || config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const files = loadTls(config.tlsCert, config.tlsKey);
  tls.setSecureContext(files);
  return files;
}
