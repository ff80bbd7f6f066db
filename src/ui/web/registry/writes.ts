/** Registry writes, and whether this server accepts any. */
import { ApiError, sendJson } from "../lib/api";

const seg = encodeURIComponent;

export const registerVersion = (model: string, body: { runId: string; artifactName: string; tags?: Record<string, string> }) =>
  sendJson<{ version: string }>("POST", `/api/models/${seg(model)}/versions`, body);
export const setAlias = (model: string, alias: string, version: string) =>
  sendJson<{ aliases: Record<string, string> }>("PUT", `/api/models/${seg(model)}/aliases/${seg(alias)}`, { version });
export const deleteAlias = (model: string, alias: string) =>
  sendJson<{ aliases: Record<string, string> }>("DELETE", `/api/models/${seg(model)}/aliases/${seg(alias)}`);
export const patchTags = (model: string, version: string, change: { set?: Record<string, string>; remove?: string[] }) =>
  sendJson<Record<string, string>>("PATCH", `/api/models/${seg(model)}/versions/${seg(version)}/tags`, change);

let probe: Promise<string | null> | null = null;
/**
 * Why writes are refused (the server's message), or null when they are allowed. Asked once with a
 * tag change on a version that cannot exist: a --read-only server refuses it as a write (403), any
 * other answers that the version is not found, and nothing is written either way.
 */
export function writesRefused(): Promise<string | null> {
  probe ??= patchTags("runelog-ui-write-probe", "0", { set: {} }).then(
    () => null,
    (e: unknown) => (e instanceof ApiError && (e.status === 403 || e.status === 401) ? e.message : null),
  );
  return probe;
}
