/** "What changed between two moments": GET /api/diff between two instants chosen here (kept in the URL). */
import { fmtTime, fmtValue, shortId } from "../lib/format";
import type { DiffAnswer } from "../lib/types";
import { href, patchQuery, type Query } from "../lib/url";
import { useApi } from "../lib/useApi";
import { ErrorBox } from "../components/ErrorBox";

const GROUPS: Array<[keyof DiffAnswer, string]> = [
  ["runsStarted", "Runs started"],
  ["runsEnded", "Runs ended"],
  ["paramsChanged", "Params changed"],
  ["aliasesMoved", "Aliases moved"],
  ["deleted", "Deleted"],
];

function Item({ item }: { item: unknown }) {
  if (item == null || typeof item !== "object") return <span class="mono">{fmtValue(item)}</span>;
  const o = item as Record<string, unknown>;
  const runId = typeof o.runId === "string" ? o.runId : null;
  const rest = Object.entries(o).filter(([k]) => k !== "runId");
  return (
    <span>
      {runId && <a href={href({ view: "run", run: runId })} title={runId}>run {shortId(runId)}</a>}{" "}
      {typeof o.modelName === "string" && <a href={href({ view: "registry", model: o.modelName })}>{o.modelName}</a>}{" "}
      <span class="muted small mono">{rest.filter(([k]) => k !== "modelName").map(([k, v]) => `${k}: ${typeof v === "string" && /\d{4}-\d\d-\d\dT/.test(v) ? fmtTime(v) : fmtValue(v)}`).join(" · ")}</span>
    </span>
  );
}

function local(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

export function DiffView({ query }: { query: Query }) {
  const from = query.get("from");
  const to = query.get("to");
  const diff = useApi<DiffAnswer>(from && to ? "/api/diff" : null, { from, to, asOf: null });
  const set = (k: string) => (e: Event) => {
    const v = (e.target as HTMLInputElement).value;
    patchQuery({ [k]: v ? new Date(v).toISOString() : null }, { replace: true });
  };
  return (
    <section class="card diff">
      <h2>What changed between two moments</h2>
      <div class="filters">
        <label>from <input type="datetime-local" step={1} value={local(from)} onChange={set("from")} aria-label="diff from" /></label>
        <label>to <input type="datetime-local" step={1} value={local(to)} onChange={set("to")} aria-label="diff to" /></label>
        {!(from && to) && <span class="muted small">pick both to see runs started and ended, params changed, aliases moved and deletions</span>}
      </div>
      {diff.error && <ErrorBox error={diff.error} />}
      {diff.data && (
        <div class="diff-groups">
          {GROUPS.map(([k, label]) => {
            const items = (diff.data![k] ?? []) as unknown[];
            return (
              <div key={k} class="diff-group" data-group={k}>
                <h3>{label} <span class="muted small">({items.length})</span></h3>
                {items.length === 0 ? <p class="muted small">none</p> : <ul>{items.slice(0, 500).map((it, i) => <li key={i}><Item item={it} /></li>)}</ul>}
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}
