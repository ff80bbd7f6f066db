import { useEffect, useState } from "preact/hooks";
import { Loading } from "../components/Loading";
import { asOf } from "../lib/api";
import { fmtTime, shortId } from "../lib/format";
import { useLive } from "../lib/live";
import type { ModelRow, ModelVersion } from "../lib/types";
import { href, patchQuery, type Query } from "../lib/url";
import { useApi } from "../lib/useApi";
import { Confirm } from "./Confirm";
import { deleteAlias, patchTags, registerVersion, setAlias, writesRefused } from "./writes";

const REGISTRY_EVENTS = new Set(["ModelVersionRegistered", "ModelTagsSet", "ModelTagsRemoved", "ModelAliasSet", "ModelAliasDeleted"]);

type Pending = { what: string; run: () => Promise<unknown> } | null;

export function RegistryPage({ query }: { query: Query }) {
  const models = useApi<ModelRow[]>("/api/models");
  const chosen = query.get("model") ?? models.data?.[0]?.name ?? null;
  const versions = useApi<ModelVersion[]>(chosen ? `/api/models/${encodeURIComponent(chosen)}/versions` : null);
  useLive(!asOf(), (e) => REGISTRY_EVENTS.has(e.type), () => { models.reload(); versions.reload(); }, 300);
  const [refused, setRefused] = useState<string | null>(null);
  useEffect(() => { writesRefused().then(setRefused); }, []);
  const [pending, setPending] = useState<Pending>(null);
  const lockedWhy = asOf() ? "This is a view of the past: it cannot be changed. Go back to now to edit." : refused;

  const ask = (what: string, run: () => Promise<unknown>) => setPending({ what, run });
  return (
    <section class="registry-page">
      <div class="page-head"><h1>Model registry</h1></div>
      {lockedWhy && <p class="notice" data-testid="writes-disabled">Changes are disabled: {lockedWhy}</p>}
      {pending && <Confirm what={pending.what} run={pending.run} onCancel={() => setPending(null)} onDone={() => { setPending(null); models.reload(); versions.reload(); }} />}
      <div class="registry">
        <Loading state={models}>
          {(list) => list.length === 0 ? <p class="muted">No registered models yet.</p> : (
            <ul class="model-list">
              {list.map((m) => (
                <li key={m.name} class={m.name === chosen ? "active" : ""}>
                  <a href={href({ view: "registry", model: m.name })}>{m.name}</a>
                  <span class="muted small"> {m.versions} version{m.versions === 1 ? "" : "s"}, latest v{m.latestVersion}</span>
                  <div>{Object.entries(m.aliases).map(([a, v]) => <span key={a} class="chip alias">@{a} → v{v}</span>)}</div>
                </li>
              ))}
            </ul>
          )}
        </Loading>
        {chosen && (
          <div class="versions">
            <h2>{chosen}</h2>
            <Loading state={versions}>
              {(vs) => <VersionsTable model={chosen} versions={vs} locked={!!lockedWhy} ask={ask} />}
            </Loading>
            {!lockedWhy && <RegisterForm model={chosen} ask={ask} />}
          </div>
        )}
        {!chosen && !lockedWhy && models.data && <RegisterForm model="" ask={ask} />}
      </div>
    </section>
  );
}

function VersionsTable({ model, versions, locked, ask }: { model: string; versions: ModelVersion[]; locked: boolean; ask: (what: string, run: () => Promise<unknown>) => void }) {
  const [alias, setAliasName] = useState("");
  const [aliasVersion, setAliasVersion] = useState(versions[0]?.version ?? "");
  return (
    <>
      <table class="grid versions-table">
        <thead><tr><th>version</th><th>aliases</th><th>tags</th><th>source run</th><th>artifact</th><th>registered</th></tr></thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td class="num">v{v.version}</td>
              <td>{v.aliases.map((a) => (
                <span key={a} class="chip alias">@{a}{!locked && <button type="button" class="icon" title={`remove @${a}`} onClick={() => ask(`Remove alias @${a} from ${model} (now on v${v.version}).`, () => deleteAlias(model, a))}>✕</button>}</span>
              ))}</td>
              <td><TagsCell model={model} v={v} locked={locked} ask={ask} /></td>
              <td><a href={href({ view: "run", run: v.sourceRunId })} title={v.sourceRunId}>{shortId(v.sourceRunId)}</a></td>
              <td class="mono">{v.artifactName}</td>
              <td>{fmtTime(v.registeredAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!locked && versions.length > 0 && (
        <form class="inline-form" onSubmit={(e) => {
          e.preventDefault();
          if (!alias) return;
          const now = versions.find((v) => v.aliases.includes(alias));
          ask(now ? `Move alias @${alias} of ${model} from v${now.version} to v${aliasVersion}.` : `Point new alias @${alias} of ${model} at v${aliasVersion}.`, () => setAlias(model, alias, aliasVersion));
        }}>
          <strong>Alias</strong>
          <input placeholder="alias, e.g. champion" value={alias} onInput={(e) => setAliasName((e.target as HTMLInputElement).value.replace(/^@/, ""))} aria-label="alias" />
          →
          <select value={aliasVersion} onChange={(e) => setAliasVersion((e.target as HTMLSelectElement).value)} aria-label="alias version">
            {versions.map((v) => <option key={v.version} value={v.version}>v{v.version}</option>)}
          </select>
          <button type="submit">Set alias…</button>
        </form>
      )}
    </>
  );
}

function TagsCell({ model, v, locked, ask }: { model: string; v: ModelVersion; locked: boolean; ask: (what: string, run: () => Promise<unknown>) => void }) {
  const [adding, setAdding] = useState(false);
  const [text, setText] = useState("");
  return (
    <div class="tags-cell">
      {Object.entries(v.tags).map(([k, val]) => (
        <span key={k} class="chip">{k}={val}{!locked && <button type="button" class="icon" title={`remove tag ${k}`} onClick={() => ask(`Remove tag "${k}" from ${model} v${v.version}.`, () => patchTags(model, v.version, { remove: [k] }))}>✕</button>}</span>
      ))}
      {!locked && (adding ? (
        <form class="inline-form" onSubmit={(e) => {
          e.preventDefault();
          const at = text.indexOf("=");
          if (at <= 0) return;
          const key = text.slice(0, at).trim(), value = text.slice(at + 1).trim();
          setAdding(false);
          setText("");
          ask(`Set tag ${key}=${value} on ${model} v${v.version}${key in v.tags ? ` (was ${v.tags[key]})` : ""}.`, () => patchTags(model, v.version, { set: { [key]: value } }));
        }}>
          <input placeholder="key=value" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} aria-label="new tag" />
          <button type="submit">Add…</button>
        </form>
      ) : <button type="button" class="link small" onClick={() => setAdding(true)}>+ tag</button>)}
    </div>
  );
}

function RegisterForm({ model, ask }: { model: string; ask: (what: string, run: () => Promise<unknown>) => void }) {
  const [name, setName] = useState(model);
  const [runId, setRunId] = useState("");
  const [artifact, setArtifact] = useState("model");
  useEffect(() => setName(model), [model]);
  return (
    <form class="inline-form register" onSubmit={(e) => {
      e.preventDefault();
      if (!name || !runId || !artifact) return;
      ask(`Register artifact "${artifact}" of run ${runId} as a new version of ${name}.`, async () => {
        await registerVersion(name, { runId: runId.trim(), artifactName: artifact.trim() });
        patchQuery({ model: name });
      });
    }}>
      <strong>Register</strong>
      <input placeholder="model name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} aria-label="model name" />
      <input placeholder="run id" value={runId} onInput={(e) => setRunId((e.target as HTMLInputElement).value)} aria-label="run id" class="mono" />
      <input placeholder="artifact name" value={artifact} onInput={(e) => setArtifact((e.target as HTMLInputElement).value)} aria-label="artifact name" />
      <button type="submit">Register…</button>
    </form>
  );
}
