/** Journal events as a table: seq, time, type, what it says, checksum; a row opens to the event's JSON. */
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { fmtTime, fmtValue, shortId } from "../lib/format";
import type { JournalEvent } from "../lib/types";
import { href } from "../lib/url";

function summary(e: JournalEvent): string {
  const d = e.data as Record<string, any>;
  switch (e.type) {
    case "ExperimentCreated": return `experiment ${d.name} (#${d.experimentId})`;
    case "ExperimentDeleted": return `experiment #${d.experimentId}`;
    case "RunStarted": return `in #${d.experimentId} on ${d.host} pid ${d.pid}${d.parentRunId ? `, child of ${shortId(d.parentRunId)}` : ""}`;
    case "RunResumed": return `on ${d.host} pid ${d.pid}`;
    case "RunEnded": return d.status;
    case "ParamsLogged": return Object.entries(d.params ?? {}).map(([k, v]) => `${k}=${fmtValue(v)}`).join(", ");
    case "MetricsLogged": return `step ${d.step}: ` + Object.entries(d.metrics ?? {}).map(([k, v]) => `${k}=${fmtValue(v)}`).join(", ");
    case "TagsSet": return Object.entries(d.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
    case "ArtifactLogged": return `${d.name} (${d.size} B)`;
    case "ModelVersionRegistered": return `${d.modelName} v${d.version} from ${d.artifactName}`;
    case "ModelTagsSet": return `${d.modelName} v${d.version}: ` + Object.entries(d.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
    case "ModelTagsRemoved": return `${d.modelName} v${d.version}: −${(d.keys ?? []).join(", ")}`;
    case "ModelAliasSet": return `${d.modelName}@${d.alias} → v${d.version}`;
    case "ModelAliasDeleted": return `${d.modelName}@${d.alias} removed`;
    default: return "";
  }
}

function Links({ e }: { e: JournalEvent }) {
  const d = e.data as Record<string, any>;
  const runId = d.runId ?? d.sourceRunId;
  return (
    <>
      {runId && <a href={href({ view: "run", run: runId })} title={runId}>run {shortId(runId)}</a>}
      {d.modelName && <a href={href({ view: "registry", model: d.modelName })}>{d.modelName}</a>}
      {d.experimentId != null && !runId && <a href={href({ view: "runs", experiment: d.experimentId })}>experiment #{d.experimentId}</a>}
    </>
  );
}

export function EventTable({ events, showLinks = true }: { events: JournalEvent[]; showLinks?: boolean }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <table class="grid events">
      <thead><tr><th class="num">seq</th><th>time</th><th>type</th><th>what</th>{showLinks && <th>about</th>}<th>crc</th></tr></thead>
      <tbody>
        {events.map((e) => (
          <Fragment key={e.id}>
            <tr class={`event-row type-${e.type}`} onClick={() => setOpen(open === e.id ? null : e.id)} data-event={e.id}>
              <td class="num mono">{e.seq}</td>
              <td class="mono small" title={e.ts}>{fmtTime(e.ts)}</td>
              <td><span class="event-type">{e.type}</span></td>
              <td class="event-summary" title={summary(e)}>{summary(e)}</td>
              {showLinks && <td class="links" onClick={(ev) => ev.stopPropagation()}><Links e={e} /></td>}
              <td class="mono small">{e.crc}</td>
            </tr>
            {open === e.id && (
              <tr class="event-json"><td colSpan={showLinks ? 6 : 5}><pre>{JSON.stringify(e, null, 2)}</pre></td></tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
