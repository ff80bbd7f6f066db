import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { apiUrl, getJson } from "../lib/api";
import type { RunsAnswer } from "../lib/types";

const FIRST_PAGE = 200;

export interface RunsQuery {
  experiment: string[];
  filter: string;
  orderBy: string[];
}

/**
 * The runs of a query: the first page is painted at once, the rest follows in one more request.
 * A reload (live update) fetches everything again and swaps it in, keeping the old rows meanwhile.
 */
export function useRuns(query: RunsQuery) {
  const url = apiUrl("/api/runs", { experiment: query.experiment, filter: query.filter, orderBy: query.orderBy });
  const [state, setState] = useState<{ url: string; answer?: RunsAnswer; error?: Error; loading: boolean }>({ url, loading: true });
  const [tick, setTick] = useState(0);
  const ticket = useRef(0);
  const known = useRef(0);
  useEffect(() => {
    const mine = ++ticket.current;
    const controller = new AbortController();
    const params = { experiment: query.experiment, filter: query.filter, orderBy: query.orderBy };
    const fresh = state.url !== url;
    setState((s) => ({ ...s, url, loading: true, ...(fresh ? { answer: undefined, error: undefined } : {}) }));
    (async () => {
      // A live reload asks for everything at once; a new query paints its first page first.
      const limit = fresh ? FIRST_PAGE : Math.max(FIRST_PAGE, known.current + 100);
      const first = await getJson<RunsAnswer>("/api/runs", { ...params, offset: 0, limit }, controller.signal);
      if (mine !== ticket.current) return;
      known.current = first.total;
      setState({ url, answer: first, loading: first.total > first.runs.length });
      if (first.total > first.runs.length) {
        const rest = await getJson<RunsAnswer>("/api/runs", { ...params, offset: first.runs.length, limit: first.total - first.runs.length }, controller.signal);
        if (mine !== ticket.current) return;
        setState({ url, answer: { ...rest, runs: [...first.runs, ...rest.runs] }, loading: false });
      }
    })().catch((error: Error) => {
      if (error.name === "AbortError" || mine !== ticket.current) return;
      setState((s) => ({ ...s, error, loading: false }));
    });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
