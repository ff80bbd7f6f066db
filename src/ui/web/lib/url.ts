/**
 * The page's state lives in its URL's query: `view` picks the page, the rest is that page's state
 * (experiments, filter, columns, sort, compared runs) plus the global `asOf`. Any URL is a permalink.
 */
import { useEffect, useState } from "preact/hooks";

const CHANGE = "runelog:url";

export type Query = URLSearchParams;

export function currentQuery(): Query {
  return new URLSearchParams(location.search);
}

/** Re-renders the caller whenever the URL changes (links, back/forward, navigate()). */
export function useQuery(): Query {
  const [query, setQuery] = useState(currentQuery);
  useEffect(() => {
    const update = () => setQuery(currentQuery());
    addEventListener("popstate", update);
    addEventListener(CHANGE, update);
    return () => {
      removeEventListener("popstate", update);
      removeEventListener(CHANGE, update);
    };
  }, []);
  return query;
}

/** A URL for `params`, keeping the global asOf unless `params` says otherwise. */
export function href(params: Record<string, string | string[] | null | undefined>, keepAsOf = true): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value == null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) q.append(key, v);
  }
  const asOf = currentQuery().get("asOf");
  if (keepAsOf && asOf && !("asOf" in params)) q.set("asOf", asOf);
  const s = q.toString();
  return s ? `/?${s}` : "/";
}

export function navigate(url: string, { replace = false } = {}): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  dispatchEvent(new Event(CHANGE));
}

/** Changes some keys of the current query (null removes a key). */
export function patchQuery(changes: Record<string, string | string[] | null>, options?: { replace?: boolean }): void {
  const q = currentQuery();
  for (const [key, value] of Object.entries(changes)) {
    q.delete(key);
    if (value == null) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (v !== "") q.append(key, v);
  }
  const s = q.toString();
  navigate(s ? `/?${s}` : "/", options);
}

/** Plain left clicks on in-app links navigate without a page load. */
export function interceptLinks(): void {
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname !== "/") return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
}
