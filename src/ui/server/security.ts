/**
 * Who may talk to the server: the Host check against DNS rebinding, the token (a cookie set from the
 * printed URL, or a Bearer header), and the extra rules for writes (read-only, same origin, JSON).
 */
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { HttpError } from "./http.js";

export interface SecurityOptions {
  token: string;
  /** The address the server is bound to, and its port. */
  host: string;
  port: number;
  readOnly: boolean;
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Two servers on one machine differ only in port, and cookies ignore ports: the name carries it. */
export const cookieName = (port: number): string => `runelog_token_${port}`;

/**
 * The Host names a browser may use to reach us. A page on another name that resolves to 127.0.0.1
 * (DNS rebinding) sends its own name as Host, so it is refused. Bound to every address, any IP
 * literal is fine too: rebinding needs a name.
 */
export function hostAllowed(hostHeader: string | undefined, o: Pick<SecurityOptions, "host" | "port">): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d+))?$/.exec(hostHeader);
  if (!m) return false;
  const name = m[1]!.toLowerCase();
  const port = m[2] === undefined ? 80 : Number(m[2]);
  if (port !== o.port) return false;
  const bare = name.startsWith("[") ? name.slice(1, -1) : name;
  const bound = o.host.toLowerCase().replace(/^\[|\]$/g, "");
  if (bare === bound || bare === "localhost" || bare === "127.0.0.1" || bare === "::1") return true;
  return (bound === "0.0.0.0" || bound === "::") && isIP(bare) !== 0;
}

export function hostCheck(o: SecurityOptions): MiddlewareHandler {
  return async (c, next) => {
    if (!hostAllowed(c.req.header("host"), o)) throw new HttpError(403, "FORBIDDEN_HOST", `this server answers only to ${o.host}:${o.port} and localhost:${o.port}`);
    await next();
  };
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `?token=` on a page (the printed URL): a valid one becomes an HttpOnly, SameSite=Strict cookie
 * and the browser is sent to the same URL without it, so the token leaves the address bar.
 */
export function tokenLanding(o: SecurityOptions): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const given = url.searchParams.get("token");
    if (given === null || c.req.method !== "GET" || url.pathname.startsWith("/api/")) return next();
    if (!sameToken(given, o.token)) throw new HttpError(401, "UNAUTHORIZED", "this link's token is not the one the server printed; open the URL `runelog ui` printed");
    setCookie(c, cookieName(o.port), o.token, { httpOnly: true, sameSite: "Strict", path: "/" });
    url.searchParams.delete("token");
    return c.redirect(url.pathname + url.search, 302);
  };
}

/** Whether a request carries the token, as the cookie or as `Authorization: Bearer`. */
export function authorized(c: Context, o: SecurityOptions): boolean {
  const auth = c.req.header("authorization");
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
  return sameToken(bearer || getCookie(c, cookieName(o.port)), o.token);
}

/** Every /api/ request needs the token; writes also need to be allowed, same-origin and JSON. */
export function apiGuard(o: SecurityOptions): MiddlewareHandler {
  return async (c, next) => {
    if (!authorized(c, o)) throw new HttpError(401, "UNAUTHORIZED", "missing or wrong token: open the URL `runelog ui` printed, or send Authorization: Bearer <token>");
    if (WRITES.has(c.req.method)) {
      if (o.readOnly) throw new HttpError(403, "READ_ONLY_SERVER", "this server was started with --read-only: nothing can be changed through it");
      const origin = c.req.header("origin");
      // hono's csrf() lets JSON through unchecked; a write must come from our own page (or a non-browser client, which sends no Origin).
      if (origin !== undefined && origin !== `http://${c.req.header("host")}`) throw new HttpError(403, "FORBIDDEN_ORIGIN", `a write from origin ${origin} is refused: only this server's own page may write`);
      const type = c.req.header("content-type") ?? "";
      if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "a write must be sent with Content-Type: application/json");
    }
    await next();
  };
}

/** No page of ours loads anything from another host, frames us, or leaks the URL it came from. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");
