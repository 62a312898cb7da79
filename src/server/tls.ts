/**
 * TLS material (docs/protocol.md §1, §7): PEM certificate and key read from files,
 * checked by building a secure context, so a bad file is reported at start
 * (or on SIGHUP, keeping the old one) rather than on the first handshake.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config.js';

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
