/**
 * zod schemas of the file transfer requests (docs/protocol.md §5), spliced
 * into the JSON codec's request union. Only shapes are checked here; what a
 * field means for a transfer (sequence, size, base64) is the core's to judge,
 * so the refusal can name the transfer. Strict, as every other request: an
 * unknown key is `bad_request` (docs/protocol.md §4 "Rules for every request").
 */
import { z } from 'zod';
import { sanitizeText } from './sanitize.js';

/** A transfer id: printable ASCII, so it can be shown and typed (`/accept ID`). */
const transferId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/u, 'a transfer id is 1-128 printable ASCII characters');
/** Names are cleaned of controls and bidi overrides like any text; the receiver makes them safe to save. */
const fileName = z.string().min(1).max(4096).transform(sanitizeText);
const reason = z.string().max(1024).transform(sanitizeText).optional();
const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** One file request type as the command table wants it: no typed command, not operator-only. */
function entry<T extends string, S extends z.ZodObject<{ type: z.ZodLiteral<T> }>>(
  type: T,
  schema: S,
) {
  return {
    type,
    schema,
    typed: [] as { name: string; usage: string; summary: string }[],
    operator: false,
  };
}

const SCHEMAS = [
  z
    .object({
      type: z.literal('file-offer'),
      id: transferId,
      to: z.string().max(256),
      name: fileName,
      size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/u, 'sha256 is 64 hex digits'),
      resumable: z.boolean().optional(),
    })
    .strict(),
  z
    .object({ type: z.literal('file-accept'), id: transferId, resumable: z.boolean().optional() })
    .strict(),
  z.object({ type: z.literal('file-reject'), id: transferId, reason }).strict(),
  // Base64 is checked by the core, which knows the transfer to refuse it for.
  z
    .object({ type: z.literal('file-chunk'), id: transferId, seq, data: z.string().max(1 << 20) })
    .strict(),
  z.object({ type: z.literal('file-ack'), id: transferId, seq }).strict(),
  z.object({ type: z.literal('file-end'), id: transferId }).strict(),
  z.object({ type: z.literal('file-done'), id: transferId, ok: z.boolean(), reason }).strict(),
  z.object({ type: z.literal('file-cancel'), id: transferId, reason }).strict(),
  z.object({ type: z.literal('file-resume'), id: transferId }).strict(),
] as const;

/** The file requests, spliced into the command table (`./commands.ts`). */
export const FILE_REQUESTS = [
  entry('file-offer', SCHEMAS[0]),
  entry('file-accept', SCHEMAS[1]),
  entry('file-reject', SCHEMAS[2]),
  entry('file-chunk', SCHEMAS[3]),
  entry('file-ack', SCHEMAS[4]),
  entry('file-end', SCHEMAS[5]),
  entry('file-done', SCHEMAS[6]),
  entry('file-cancel', SCHEMAS[7]),
  entry('file-resume', SCHEMAS[8]),
] as const;
