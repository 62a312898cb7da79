/**
 * Facts about the installed package, shared by both programs (chat-server and
 * chat-client print the same version; the server also sends it in the
 * welcome). It reads a file, so the pure layers (src/protocol, src/core) may
 * not import it; the linter holds that.
 */
import { readFileSync } from 'node:fs';

/** The package version, read once from package.json beside dist/. */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
