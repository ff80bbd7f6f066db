import { ChartControls } from "../charts/ChartControls";
import { LazyMount } from "../charts/LazyMount";
import { MetricChart } from "../charts/MetricChart";
import { chartSettings } from "../charts/settings";
import { Loading } from "../components/Loading";
import { StatusBadge } from "../components/StatusBadge";
import { asOf } from "../lib/api";
import { fmtNumber, fmtValue } from "../lib/format";
import { useLive } from "../lib/live";
import type { RunsAnswer } from "../lib/types";
import { href, patchQuery, type Query } from "../lib/url";
import { useApi } from "../lib/useApi";
import { runName } from "../runs/columns";
import { ParallelCoords } from "./ParallelCoords";

const MAX = 50;

export function ComparePage({ query }: { query: Query }) {
  const ids = [...new Set(query.getAll("run"))].slice(0, MAX);
  const filter = ids.length ? `attributes.run_id IN (${ids.map((id) => `'${id.replace(/'/g, "")}'`).join(", ")})` : null;
  const state = useApi<RunsAnswer>(filter ? "/api/runs" : null, { filter, limit: MAX });
  const set = new Set(ids);
  useLive(!asOf(), (e) => set.has(String(e.data.runId)), state.reload, 1000);
  if (ids.length < 2) return <p>Choose two to fifty runs on the <a href={href({ view: "runs" })}>runs page</a> (tick them, then Compare).</p>;
  return <Loading state={state}>{(answer) => <CompareView answer={answer} ids={ids} query={query} />}</Loading>;
}

function CompareView({ answer, ids, query }: { answer: RunsAnswer; ids: string[]; query: Query }) {
  const byId = new Map(answer.runs.map((r) => [r.runId, r]));
  const runs = ids.map((id) => byId.get(id)).filter((r) => r != null);
  const onlyDiff = query.get("diff") === "1";
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const differs = (values: string[]) => new Set(values).size > 1;
  const rows: Array<{ kind: string; key: string; values: string[] }> = [
    ...paramKeys.map((k) => ({ kind: "param", key: k, values: runs.map((r) => fmtValue(r.params[k])) })),
    ...metricKeys.map((k) => ({ kind: "metric", key: k, values: runs.map((r) => fmtNumber(r.metrics[k])) })),
  ];
  const shown = onlyDiff ? rows.filter((r) => differs(r.values)) : rows;
  const pcMetric = query.get("pc") ?? metricKeys[0] ?? null;
  const settings = chartSettings(query);
  const labels = new Map(runs.map((r) => [r.runId, runName(r)]));
  const missing = ids.filter((id) => !byId.has(id));

  return (
    <div class="compare-page">
      <div class="page-head"><h1>Comparing {runs.length} runs</h1></div>
      {missing.length > 0 && <p class="warn">Not found{asOf() ? " at this moment" : ""}: {missing.join(", ")}</p>}
      <section class="card">
        <label class="inline"><input type="checkbox" checked={onlyDiff} onChange={(e) => patchQuery({ diff: (e.target as HTMLInputElement).checked ? "1" : null }, { replace: true })} /> only differences</label>
        <div class="scroll-x">
          <table class="grid compare">
            <thead>
              <tr><th></th>{runs.map((r) => <th key={r.runId}><a href={href({ view: "run", run: r.runId })}>{runName(r)}</a><br /><StatusBadge status={r.status} /></th>)}</tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={`${row.kind}.${row.key}`} class={differs(row.values) ? "differs" : ""}>
                  <th><span class="rt-kind">{row.kind}</span> {row.key}</th>
                  {row.values.map((v, i) => <td key={i} class={row.kind === "metric" ? "num mono" : "mono"}>{v}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 && <p class="muted">No differences.</p>}
        </div>
      </section>
      <section class="card">
        <h2>Parallel coordinates</h2>
        <label>metric{" "}
          <select value={pcMetric ?? ""} onChange={(e) => patchQuery({ pc: (e.target as HTMLSelectElement).value }, { replace: true })}>
            {metricKeys.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </label>
        <div class="scroll-x"><ParallelCoords runs={runs} params={paramKeys} metric={pcMetric} labels={labels} /></div>
      </section>
      <section class="card charts">
        <h2>Curves</h2>
        <ChartControls settings={settings} />
        <div class="chart-grid">
          {metricKeys.map((k) => (
            <LazyMount key={k} height={300}>
              <MetricChart metric={k} runs={runs.filter((r) => k in r.metrics).map((r) => ({ runId: r.runId, label: runName(r) }))} settings={settings} />
            </LazyMount>
          ))}
        </div>
      </section>
    </div>
  );
}
