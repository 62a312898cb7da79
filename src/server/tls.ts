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

/** The server of a port, and how to end the sockets no session owns yet. */
export interface PortServer {
  server: Server;
  tls: TlsServer | undefined;
  /** Destroy the sockets still in their TLS handshake (shutdown: nothing else would end them). */
  dropHandshakes(): void;
}

/** The first byte of every TLS connection: a handshake record (RFC 8446 §5.1). */
const TLS_HANDSHAKE_RECORD = 0x16;

/**
 * A plain TCP server, or a TLS one when the configuration names a
 * certificate and key. A failed handshake (a scanner, a client that rejects
 * the certificate) is that client's problem, not the server's: it is logged
 * at debug as `what`.
 *
 * A TLS port reads a connection's first byte before TLS sees it: a client
 * speaking plain text (`nc`, telnet, an IRC client without TLS) is told so
 * in its own protocol (`plainRefusal`) and closed, where a failed handshake
 * closed it without a word. Node's TLS server takes the socket, and the
 * byte put back, through its `connection` event.
 *
 * A TLS handshake, and the wait for that first byte, are bounded by
 * `handshakeTimeoutMs` (Node's own default is 120 s), and a socket is
 * half-open only once it is secure: a client that rejected the certificate
 * and hung up mid-handshake was otherwise kept half-open for good, outside
 * any session, so no timeout ended it and the server's close (SIGTERM)
 * waited for it forever.
 */
export function createPlainOrTlsServer(
  config: Readonly<Pick<ServerConfig, 'tlsCert' | 'tlsKey'>>,
  options: {
    allowHalfOpen: boolean;
    handshakeTimeoutMs: number;
    /** The refusal for a client that speaks plain text, in its own protocol (from its first bytes). */
    plainRefusal: (first: Buffer, socket: Socket) => Buffer;
  },
  onSocket: (socket: Socket) => void,
  onHandshakeError: (err: Error, socket: TLSSocket) => void,
): PortServer {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const tls = createTlsServer(
      { ...loadTls(config.tlsCert, config.tlsKey), handshakeTimeout: options.handshakeTimeoutMs },
      (socket) => {
        if (options.allowHalfOpen) socket.allowHalfOpen = true;
        onSocket(socket);
      },
    );
    tls.on('tlsClientError', onHandshakeError);
    // Each raw socket until it closes; after a session's close only those
    // still in their handshake are left.
    const raw = new Set<Socket>();
    const server = createServer({ noDelay: true }, (socket) => {
      raw.add(socket);
      socket.once('close', () => raw.delete(socket));
      socket.setTimeout(options.handshakeTimeoutMs, () => socket.destroy());
      socket.on('error', () => socket.destroy());
      socket.once('data', (first: Buffer) => {
        if (first[0] !== TLS_HANDSHAKE_RECORD) {
          // Read on (and drop) what else it sends, so its hang-up closes the
          // socket; one that never hangs up is ended by the timeout above.
          socket.end(options.plainRefusal(first, socket));
          return;
        }
        // From here Node's TLS handshake timeout bounds it.
        socket.setTimeout(0);
        socket.pause();
        socket.unshift(first);
        tls.emit('connection', socket);
      });
    });
    return { server, tls, dropHandshakes: () => raw.forEach((s) => s.destroy()) };
  }
  const server = createServer(
    { noDelay: true, ...(options.allowHalfOpen && { allowHalfOpen: true }) },
    onSocket,
  );
  return { server, tls: undefined, dropHandshakes: () => undefined };
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
