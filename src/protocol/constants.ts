/**
 * Defaults both programs share, written once: chat-server listens where
 * chat-client dials unless told otherwise (docs/protocol.md §1).
 */

/** The TCP port chat-server listens on and chat-client connects to by default. */
export const DEFAULT_PORT = 50000;

/** The address both use by default: loopback, so nothing is exposed by accident. */
export const DEFAULT_HOST = '127.0.0.1';

/** The stream key of a user's private messages in resume maps and histories (§4). */
export const PRIVATE_STREAM = '@';
