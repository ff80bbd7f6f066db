import { Fragment, type ComponentChildren } from "preact";
import { Loading } from "../components/Loading";
import { StatusBadge } from "../components/StatusBadge";
import { ChartControls } from "../charts/ChartControls";
import { LazyMount } from "../charts/LazyMount";
import { MetricChart } from "../charts/MetricChart";
import { chartSettings } from "../charts/settings";
import { EventTable } from "../history/EventTable";
import { asOf } from "../lib/api";
import { fmtNumber, fmtTime, fmtValue, runDuration } from "../lib/format";
import { useLive } from "../lib/live";
import type { RunDetails, RunsAnswer } from "../lib/types";
import { href, type Query } from "../lib/url";
import { useApi } from "../lib/useApi";
import { runName } from "../runs/columns";
import { ArtifactView } from "./ArtifactView";
import { paramHistory, pointCounts, processes } from "./history";

export function RunPage({ runId, query }: { runId: string; query: Query }) {
  const state = useApi<RunDetails>(runId ? `/api/runs/${encodeURIComponent(runId)}` : null, { metricHistory: "0" });
  useLive(!asOf(), (e) => e.data.runId === runId || e.data.parentRunId === runId, state.reload, 1000);
  if (!runId) return <p>No run chosen. Pick one on the <a href={href({ view: "runs" })}>runs page</a>.</p>;
  return <Loading state={state}>{(run) => <RunView run={run} query={query} />}</Loading>;
}

function Section({ title, children, count }: { title: string; children: ComponentChildren; count?: number }) {
  return (
    <section class="card">
      <h2>{title}{count != null && <span class="muted small"> ({count})</span>}</h2>
      {children}
    </section>
  );
}

function RunView({ run, query }: { run: RunDetails; query: Query }) {
  const settings = chartSettings(query);
  const history = paramHistory(run.events);
  const procs = processes(run.events);
  const counts = pointCounts(run.events);
  const metricKeys = Object.keys(run.metrics).sort();
  const children = useApi<RunsAnswer>("/api/runs", { experiment: run.experimentId, filter: `attributes.parent_run_id = '${run.runId}'` });
  const experiment = useApi<Array<{ experimentId: string; name: string }>>("/api/experiments");
  const expName = experiment.data?.find((e) => e.experimentId === run.experimentId)?.name ?? `#${run.experimentId}`;
  const pointsOf = (k: string) => run.metricCounts?.[k] ?? run.metricHistory?.[k]?.length ?? counts.get(k);

  return (
    <div class="run-page" data-run={run.runId}>
      <div class="page-head">
        <h1>{runName(run)}</h1>
        <StatusBadge status={run.status} />
        <span class="mono muted small">{run.runId}</span>
      </div>
      <p class="crumbs">
        <a href={href({ view: "runs", experiment: run.experimentId })}>{expName}</a>
        {run.parentRunId && <> · child of <a href={href({ view: "run", run: run.parentRunId })}>{run.parentRunId}</a></>}
      </p>
      <div class="cards">
        <Section title="Run">
          <dl class="facts">
            <dt>Status</dt><dd><StatusBadge status={run.status} />{run.status === "KILLED" && <span class="muted small"> its process died without ending it</span>}</dd>
            <dt>Started</dt><dd>{fmtTime(run.startTime)}</dd>
            <dt>Ended</dt><dd>{run.endTime ? fmtTime(run.endTime) : <span class="muted">—</span>}</dd>
            <dt>Duration</dt><dd>{runDuration(run.startTime, run.endTime)}{!run.endTime && " so far"}</dd>
            {procs.map((p, i) => (
              <Fragment key={i}><dt>{p.how === "started" ? "Host / pid" : "Resumed on"}</dt><dd class="mono">{p.host} / {p.pid}</dd></Fragment>
            ))}
            {run.git && <><dt>Git</dt><dd class="mono">{run.git.commit.slice(0, 12)} {run.git.branch ?? "(detached)"} {run.git.dirty ? <span class="warn">dirty</span> : <span class="muted">clean</span>}</dd></>}
            {run.env && <><dt>Environment</dt><dd>Node {run.env.node} · {run.env.platform}/{run.env.arch}
              {Object.keys(run.env.packages ?? {}).length > 0 && (
                <details><summary>{Object.keys(run.env.packages).length} packages</summary>
                  <ul class="packages">{Object.entries(run.env.packages).map(([k, v]) => <li key={k}><span class="mono">{k}</span> {v}</li>)}</ul>
                </details>
              )}</dd></>}
          </dl>
        </Section>
        <Section title="Params" count={Object.keys(run.params).length}>
          <table class="grid kv params">
            <tbody>
              {Object.entries(run.params).map(([k, v]) => {
                const changes = history.get(k) ?? [];
                return (
                  <tr key={k}>
                    <th>{k}</th>
                    <td class="mono">{fmtValue(v)}
                      {changes.length > 1 && (
                        <details class="param-history"><summary>changed {changes.length - 1}×</summary>
                          <ol>{changes.map((c) => <li key={c.eventId}><span class="mono">{fmtValue(c.value)}</span> <span class="muted small">{fmtTime(c.ts)}</span></li>)}</ol>
                        </details>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Section>
        <Section title="Metrics" count={metricKeys.length}>
          <table class="grid kv metrics">
            <thead><tr><th>key</th><th class="num">latest</th><th class="num">points</th></tr></thead>
            <tbody>
              {metricKeys.map((k) => (
                <tr key={k}><th><a href={`#chart-${encodeURIComponent(k)}`}>{k}</a></th><td class="num mono">{fmtNumber(run.metrics[k])}</td><td class="num">{pointsOf(k) ?? ""}</td></tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Tags" count={Object.keys(run.tags).length}>
          <table class="grid kv tags"><tbody>
            {Object.entries(run.tags).map(([k, v]) => <tr key={k}><th>{k}</th><td>{v}</td></tr>)}
          </tbody></table>
        </Section>
      </div>
      {metricKeys.length > 0 && (
        <section class="card charts">
          <h2>Charts</h2>
          <ChartControls settings={settings} />
          <div class="chart-grid">
            {metricKeys.map((k) => (
              <div id={`chart-${encodeURIComponent(k)}`} key={k}>
                <LazyMount height={300}>
                  <MetricChart metric={k} runs={[{ runId: run.runId, label: runName(run) }]} settings={settings} />
                </LazyMount>
              </div>
            ))}
          </div>
        </section>
      )}
      <Section title="Artifacts" count={run.artifacts.length}>
        {run.artifacts.length === 0 ? <p class="muted">none</p> : run.artifacts.map((a) => <ArtifactView key={a} runId={run.runId} name={a} />)}
      </Section>
      {children.data && children.data.total > 0 && (
        <Section title="Child runs" count={children.data.total}>
          <ul class="children">
            {children.data.runs.map((c) => <li key={c.runId}><StatusBadge status={c.status} /> <a href={href({ view: "run", run: c.runId })}>{runName(c)}</a> <span class="muted small mono">{c.runId}</span></li>)}
          </ul>
        </Section>
      )}
      {run.events && (
        <Section title="Events" count={run.eventsNext ? undefined : run.events.length}>
          <details open={run.events.length <= 50}>
            <summary>this run's events, as stored</summary>
            <EventTable events={run.events} showLinks={false} />
            {run.eventsNext && <p class="small">The first {run.events.length} shown: <a href={href({ view: "history", hrun: run.runId })}>all of this run's events on the history page</a>.</p>}
          </details>
        </Section>
      )}
    </div>
  );
}
