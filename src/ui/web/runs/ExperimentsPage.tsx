import { useState } from "preact/hooks";
import { Loading } from "../components/Loading";
import { StatusBadge } from "../components/StatusBadge";
import { asOf } from "../lib/api";
import { fmtAgo, fmtTime } from "../lib/format";
import { useLive } from "../lib/live";
import { STATUSES, type ExperimentRow } from "../lib/types";
import { href } from "../lib/url";
import { useApi } from "../lib/useApi";

const CHANGES = new Set(["ExperimentCreated", "ExperimentDeleted", "RunStarted", "RunEnded", "RunDeleted", "RunResumed"]);

export function ExperimentsPage() {
  const state = useApi<ExperimentRow[]>("/api/experiments");
  useLive(!asOf(), (e) => CHANGES.has(e.type), state.reload);
  const [picked, setPicked] = useState<string[]>([]);
  return (
    <section>
      <div class="page-head">
        <h1>Experiments</h1>
        {picked.length > 0 && (
          <a class="button" href={href({ view: "runs", experiment: picked })}>Open {picked.length} together</a>
        )}
      </div>
      <Loading state={state}>
        {(rows) =>
          rows.length === 0 ? (
            <p class="muted">No experiments yet. Log a run (<code>npm run demo</code>) and it appears here.</p>
          ) : (
            <table class="grid experiments">
              <thead>
                <tr>
                  <th></th><th>Name</th><th class="num">Runs</th>
                  {STATUSES.map((s) => <th key={s} class="num"><StatusBadge status={s} /></th>)}
                  <th>Last run</th><th>Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.experimentId} data-experiment={e.experimentId}>
                    <td>
                      <input type="checkbox" aria-label={`select ${e.name}`} checked={picked.includes(e.experimentId)}
                        onChange={(ev) => setPicked((ev.target as HTMLInputElement).checked ? [...picked, e.experimentId] : picked.filter((p) => p !== e.experimentId))} />
                    </td>
                    <td><a href={href({ view: "runs", experiment: e.experimentId })}>{e.name}</a> <span class="muted small">#{e.experimentId}</span></td>
                    <td class="num">{e.numRuns}</td>
                    {STATUSES.map((s) => <td key={s} class={`num ${e.byStatus?.[s] ? "" : "muted"}`}>{e.byStatus?.[s] ?? 0}</td>)}
                    <td title={fmtTime(e.lastRun)}>{e.lastRun ? fmtAgo(e.lastRun) : <span class="muted">never</span>}</td>
                    <td>{fmtTime(e.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
    </section>
  );
}
