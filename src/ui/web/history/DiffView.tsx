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

function Item({ group, item }: { group: keyof DiffAnswer; item: Record<string, any> }) {
  const when = <span class="muted small"> {fmtTime(item.at)}</span>;
  const run = (id: string) => <a href={href({ view: "run", run: id })} title={id}>run {shortId(id)}</a>;
  switch (group) {
    case "runsStarted":
      return <span>{run(item.runId)} in <a href={href({ view: "runs", experiment: item.experimentId })}>#{item.experimentId}</a>{item.parentRunId && <> (child of {run(item.parentRunId)})</>}{when}</span>;
    case "runsEnded":
      return <span>{run(item.runId)} <span class={`status status-${String(item.status).toLowerCase()}`}>{item.status}</span>{when}</span>;
    case "paramsChanged":
      return <span>{run(item.runId)} <span class="mono">{item.key}</span>: {"before" in item ? <span class="mono">{fmtValue(item.before)}</span> : <span class="muted">unset</span>} → <span class="mono">{fmtValue(item.after)}</span>{when}</span>;
    case "aliasesMoved":
      return <span><a href={href({ view: "registry", model: item.modelName })}>{item.modelName}</a>@{item.alias}: {item.before ? `v${item.before}` : <span class="muted">none</span>} → {item.after ? `v${item.after}` : <span class="muted">removed</span>}{when}</span>;
    default:
      return <span>{item.kind} {item.kind === "run" ? run(item.id) : <span class="mono">#{item.id}</span>}{when}</span>;
  }
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
                {items.length === 0 ? <p class="muted small">none</p> : <ul>{items.slice(0, 500).map((it, i) => <li key={i}><Item group={k} item={it as Record<string, any>} /></li>)}</ul>}
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}
