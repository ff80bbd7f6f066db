import { useMemo, useState } from "preact/hooks";
import { ErrorBox } from "../components/ErrorBox";
import { ApiError, asOf } from "../lib/api";
import { useLive } from "../lib/live";
import type { ExperimentRow, JournalEvent } from "../lib/types";
import { href, patchQuery, type Query } from "../lib/url";
import { useApi } from "../lib/useApi";
import { ColumnPicker } from "./ColumnPicker";
import { columnFor, defaultColumns, type Column } from "./columns";
import { RunsTable, type SortState } from "./RunsTable";
import { SearchBox } from "./SearchBox";
import { nest } from "./tree";
import { useRuns } from "./useRuns";

const RUN_EVENTS = new Set(["RunStarted", "RunEnded", "RunDeleted", "RunResumed", "ParamsLogged", "MetricsLogged", "TagsSet"]);

export function RunsPage({ query }: { query: Query }) {
  const experiment = query.getAll("experiment");
  const filter = query.get("filter") ?? "";
  const sortId = query.get("sort");
  const sort: SortState | null = sortId ? { id: sortId, desc: query.get("desc") === "1" } : null;
  const sortColumn = sort ? (sort.id === "attributes.status" ? { sortKey: "attributes.status" } : columnFor(sort.id)) : null;
  const orderBy = sortColumn?.sortKey ? [`${sortColumn.sortKey} ${sort!.desc ? "DESC" : "ASC"}`] : [];

  const runs = useRuns({ experiment, filter, orderBy });
  const experiments = useApi<ExperimentRow[]>("/api/experiments");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());

  const loadedIds = useMemo(() => new Set(runs.answer?.runs.map((r) => r.runId)), [runs.answer]);
  useLive(!asOf(), (e: JournalEvent) => {
    if (!RUN_EVENTS.has(e.type)) return false;
    if (e.type === "RunStarted") return experiment.length === 0 || experiment.includes(String(e.data.experimentId));
    return loadedIds.has(String(e.data.runId));
  }, runs.reload, 1000);

  const keys = runs.answer?.keys;
  const shown = query.has("col") ? query.getAll("col").filter((c) => c !== "-") : defaultColumns(keys);
  const pinned = query.getAll("pin");
  const columns = shown.map(columnFor).filter((c): c is Column => c != null);
  const rows = useMemo(() => nest(runs.answer?.runs ?? [], collapsed), [runs.answer, collapsed]);

  const filterError = runs.error instanceof ApiError && runs.error.code === "INVALID_INPUT" && /filter|orderBy/.test(runs.error.message) ? runs.error.message : null;
  const names = new Map(experiments.data?.map((e) => [e.experimentId, e.name]));
  const title = experiment.length ? experiment.map((e) => names.get(e) ?? e).join(", ") : "All experiments";

  const setColumns = (cols: string[], pins: string[]) => patchQuery({ col: cols.length ? cols : ["-"], pin: pins }, { replace: true });
  const onSort = (c: Pick<Column, "id" | "sortKey">) => {
    const id = c.id;
    if (sort?.id !== id) patchQuery({ sort: id, desc: "1" });
    else if (sort.desc) patchQuery({ desc: null });
    else patchQuery({ sort: null, desc: null });
  };
  const selectedIds = [...selected];

  return (
    <section class="runs-page">
      <div class="page-head">
        <h1>{title}</h1>
        <span class="muted" data-testid="run-count">
          {runs.answer ? `${runs.answer.total.toLocaleString("en")} run${runs.answer.total === 1 ? "" : "s"}` : ""}
          {runs.loading && runs.answer ? " · loading…" : ""}
        </span>
        <span class="spacer" />
        <ExperimentChooser all={experiments.data ?? []} chosen={experiment} />
      </div>
      <div class="toolbar">
        <SearchBox value={filter} keys={keys} error={filterError} onSearch={(f) => patchQuery({ filter: f || null })} />
        <ColumnPicker keys={keys} shown={shown} pinned={pinned} onChange={setColumns} />
      </div>
      {selected.size > 0 && (
        <div class="selection-bar">
          {selected.size} selected
          <a class="button" href={href({ view: "compare", run: selectedIds.slice(0, 50) })} aria-disabled={selected.size < 2}>
            Compare{selected.size > 50 ? " (first 50)" : ""}
          </a>
          <button type="button" class="link" onClick={() => setSelected(new Set())}>Clear</button>
        </div>
      )}
      {runs.error && !filterError && <ErrorBox error={runs.error} />}
      {!runs.answer && !runs.error && <p class="muted loading">Loading runs…</p>}
      {runs.answer && (
        <RunsTable
          rows={rows}
          total={runs.answer.total}
          columns={columns}
          pinned={pinned}
          sort={sort}
          onSort={onSort}
          selected={selected}
          onSelect={(id, on) => setSelected((s) => { const n = new Set(s); on ? n.add(id) : n.delete(id); return n; })}
          collapsed={collapsed}
          onCollapse={(id) => setCollapsed((s) => { const n = new Set(s); n.has(id) ? n.delete(id) : n.add(id); return n; })}
        />
      )}
    </section>
  );
}

function ExperimentChooser({ all, chosen }: { all: ExperimentRow[]; chosen: string[] }) {
  return (
    <div class="experiment-chooser">
      {chosen.map((id) => (
        <span key={id} class="chip">
          {all.find((e) => e.experimentId === id)?.name ?? id}
          <button type="button" class="icon" aria-label="remove" onClick={() => patchQuery({ experiment: chosen.filter((c) => c !== id) })}>✕</button>
        </span>
      ))}
      <select aria-label="add an experiment" value="" onChange={(e) => {
        const v = (e.target as HTMLSelectElement).value;
        if (v) patchQuery({ experiment: [...chosen, v] });
      }}>
        <option value="">{chosen.length ? "+ experiment" : "choose experiments…"}</option>
        {all.filter((e) => !chosen.includes(e.experimentId)).map((e) => <option key={e.experimentId} value={e.experimentId}>{e.name}</option>)}
      </select>
    </div>
  );
}
