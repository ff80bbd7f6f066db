import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiUrl, getJson } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** Fetches again, keeping what is shown until the answer arrives (live updates never blank a page). */
  reload: () => void;
}

type Params = Record<string, string | number | string[] | null | undefined>;

/** GETs `path` (null: nothing) whenever its URL (asOf included) changes. */
export function useApi<T>(path: string | null, params: Params = {}): Loaded<T> {
  const url = path == null ? null : apiUrl(path, params);
  const [state, setState] = useState<{ url: string | null; data?: T; error?: Error; loading: boolean }>({ url, loading: url != null });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    if (path == null) return;
    const ticket = ++latest.current;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(path, params, controller.signal).then(
      (data) => ticket === latest.current && setState({ url, data, loading: false }),
      (error: Error) => {
        if (error.name === "AbortError" || ticket !== latest.current) return;
        setState((s) => ({ url, data: s.url === url ? s.data : undefined, error, loading: false }));
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // A new URL shows the old answer until its own arrives, unless the page changed what it asks for entirely.
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
