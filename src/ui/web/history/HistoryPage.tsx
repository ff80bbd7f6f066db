/** The store's history: every journal event (filtered, paged, live) and what changed between two moments. */
import { useEffect, useState } from "preact/hooks";
import { ErrorBox } from "../components/ErrorBox";
import { asOf, getJson } from "../lib/api";
import { useLiveEvents } from "../lib/live";
import type { EventsAnswer, ExperimentRow, JournalEvent } from "../lib/types";
import { patchQuery, type Query } from "../lib/url";
import { useApi } from "../lib/useApi";
import { DiffView } from "./DiffView";
import { EventTable } from "./EventTable";

const TYPES = ["RunStarted", "RunResumed", "RunEnded", "RunDeleted", "ParamsLogged", "MetricsLogged", "TagsSet", "ArtifactLogged",
  "ExperimentCreated", "ExperimentDeleted", "ModelVersionRegistered", "ModelTagsSet", "ModelTagsRemoved", "ModelAliasSet", "ModelAliasDeleted"];
const PAGE = 500;

export function HistoryPage({ query }: { query: Query }) {
  const filters = {
    experiment: query.get("hexp") ?? "",
    runId: query.get("hrun") ?? "",
    type: query.get("htype") ?? "",
    since: query.get("since") ?? "",
    until: query.get("until") ?? "",
  };
  const key = JSON.stringify(filters) + (asOf() ?? "");
  const [events, setEvents] = useState<JournalEvent[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(false);
  const experiments = useApi<ExperimentRow[]>("/api/experiments");

  const load = async (after: string | null, reset: boolean) => {
    setLoading(true);
    try {
      const a = await getJson<EventsAnswer>("/api/events", { ...filters, after, limit: PAGE, until: filters.until || asOf() });
      setEvents((old) => (reset ? a.events : [...old, ...a.events]));
      setNext(a.next);
      setDone(a.events.length < PAGE || a.next == null);
      setError(null);
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { setEvents([]); load(null, true); }, [key]);

  // New events join the end of the timeline once it is read to the end (and the view is the present).
  useLiveEvents(!asOf() && !filters.until, (batch) => {
    if (batch === "resync") { load(null, true); return; }
    if (!done) return;
    const fresh = batch.filter((e) =>
      (!filters.type || e.type === filters.type) && (!filters.runId || e.data.runId === filters.runId || e.data.sourceRunId === filters.runId));
    if (filters.experiment) return; // an event's experiment is not in its data for every type: reload instead
    if (fresh.length) setEvents((old) => { const seen = new Set(old.slice(-2000).map((e) => e.id)); return [...old, ...fresh.filter((e) => !seen.has(e.id))]; });
  });

  const set = (k: string) => (e: Event) => patchQuery({ [k]: (e.target as HTMLInputElement).value || null }, { replace: true });
  return (
    <section class="history-page">
      <div class="page-head"><h1>History</h1><span class="muted">every event of every journal, as stored</span></div>
      <DiffView query={query} />
      <section class="card">
        <h2>Event timeline</h2>
        <div class="filters">
          <select value={filters.experiment} onChange={set("hexp")} aria-label="experiment">
            <option value="">all journals</option>
            {experiments.data?.map((e) => <option key={e.experimentId} value={e.experimentId}>{e.name}</option>)}
          </select>
          <input placeholder="run id" value={filters.runId} onChange={set("hrun")} aria-label="run id" class="mono" />
          <select value={filters.type} onChange={set("htype")} aria-label="event type">
            <option value="">every type</option>
            {TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
          <label>since <input type="datetime-local" step={1} value={toLocal(filters.since)} onChange={(e) => patchQuery({ since: fromLocal((e.target as HTMLInputElement).value) }, { replace: true })} aria-label="since" /></label>
          <label>until <input type="datetime-local" step={1} value={toLocal(filters.until)} onChange={(e) => patchQuery({ until: fromLocal((e.target as HTMLInputElement).value) }, { replace: true })} aria-label="until" /></label>
        </div>
        {error && <ErrorBox error={error} />}
        <p class="muted small" data-testid="event-count">{events.length.toLocaleString("en")} events{done ? "" : " so far"}{!asOf() && !filters.until && done ? " · new ones appear live" : ""}</p>
        <EventTable events={events} />
        {!done && <button type="button" disabled={loading} onClick={() => load(next, false)}>{loading ? "Loading…" : `Load ${PAGE} more`}</button>}
      </section>
    </section>
  );
}

function toLocal(iso: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 19);
}
function fromLocal(v: string): string | null {
  return v ? new Date(v).toISOString() : null;
}
