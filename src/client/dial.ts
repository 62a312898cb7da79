/**
 * Reaching a server (docs/protocol.md §1): which servers to try, opening a TCP
 * or TLS socket to one, and saying in one line why that failed. Nothing here
 * knows the protocol spoken over the socket.
 */
import net from 'node:net';
import tls from 'node:tls';

/** TLS settings: the server's certificate and host name are verified unless `insecure`. */
export interface TlsOptions {
  /** PEM certificate(s) of a private CA to trust instead of the system's. */
  ca?: string | Buffer;
  /** Skip verification (anyone on the path could read and change the chat). */
  insecure?: boolean;
}

/** One server to dial. */
export interface Endpoint {
  host: string;
  port: number;
}

/** `host:port` for messages, with brackets around an IPv6 address. */
export function formatEndpoint({ host, port }: Endpoint): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parse a server list as typed after `--host`: `a`, `a:6000`, `[::1]:6000`,
 * or several of these separated by commas; a server without a port gets
 * `defaultPort`. Throws with a one-line reason for an empty or bad entry.
 */
export function parseEndpoints(value: string, defaultPort: number): Endpoint[] {
  return value.split(',').map((raw) => {
    const entry = raw.trim();
    const bracketed = /^\[([^\]]+)\](?::(.*))?$/u.exec(entry);
    let host: string;
    let port: string | undefined;
    if (bracketed) {
      host = bracketed[1] ?? '';
      port = bracketed[2];
    } else if (net.isIPv6(entry)) {
      host = entry;
    } else {
      const colon = entry.lastIndexOf(':');
      host = colon < 0 ? entry : entry.slice(0, colon);
      port = colon < 0 ? undefined : entry.slice(colon + 1);
    }
    if (host === '') throw new Error(`"${raw}" names no host`);
    if (port === undefined) return { host, port: defaultPort };
    const n = Number(port);
    if (!/^\d+$/u.test(port) || n < 1 || n > 65535) {
      throw new Error(`"${entry}": the port must be a number from 1 to 65535`);
    }
    return { host, port: n };
  });
}

/** A new socket to `endpoint`, and the event after which it may carry the hello. */
export function dial(
  { host, port }: Endpoint,
  secure: TlsOptions | undefined,
): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if (!secure) return { socket: net.connect({ host, port }), ready: 'connect' };
  const socket = tls.connect({
    host,
    port,
    // SNI takes a host name only; an IP address is checked against the certificate's IP SANs.
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    ...(secure.ca !== undefined ? { ca: secure.ca } : {}),
    rejectUnauthorized: secure.insecure !== true,
  });
  return { socket, ready: 'secureConnect' };
}

/** OpenSSL's certificate verification failures, and Node's host name check. */
const CERT_ERROR = /CERT|ISSUER|LEAF_SIGNATURE|ALTNAME|HOSTNAME/u;

/** A one-line description of a socket error for the user. */
export function describeSocketError(err: Error | undefined, endpoint: Endpoint): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = formatEndpoint(endpoint);
  if (code !== undefined && CERT_ERROR.test(code)) {
    const fix =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'connect by the name in the certificate'
        : 'use --ca FILE';
    return `certificate verify failed: ${err?.message ?? code}; ${fix} or --insecure`;
  }
  if (code?.startsWith('ERR_SSL_') || code === 'EPROTO') {
    // OpenSSL's message is a multi-part dump; its `reason` is the readable part.
    const reason = (err as { reason?: unknown } | undefined)?.reason;
    const why = typeof reason === 'string' ? reason : code;
    return `TLS handshake with ${where} failed (is it a TLS server?): ${why}`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where}: connection refused (is chat-server running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${where}: unknown host`;
    case 'ETIMEDOUT':
      return `cannot connect to ${where}: timed out`;
    case 'ECONNRESET':
      return 'connection reset by the server';
    case undefined:
      return err ? err.message : 'connection closed by the server';
    default:
      return `${err?.message ?? code}`;
  }
}
