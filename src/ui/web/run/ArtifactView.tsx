/** One artifact: images shown, text / JSON / CSV rendered, anything else offered as a download. */
import { useEffect, useState } from "preact/hooks";
import { apiUrl } from "../lib/api";
import { parseCsv } from "./csv";

const IMAGE = /\.(png|jpe?g|gif|webp|svg|bmp|avif)$/i;
const TEXT = /\.(txt|log|md|py|ts|js|mjs|cjs|tsx|yaml|yml|toml|ini|cfg|sh|html|css|xml|r|ipynb)$/i;
const MAX_TEXT = 200_000;

export function artifactUrl(runId: string, name: string): string {
  return apiUrl(`/api/runs/${encodeURIComponent(runId)}/artifacts/${name.split("/").map(encodeURIComponent).join("/")}`);
}

function kindOf(name: string): "image" | "json" | "csv" | "text" | "binary" {
  if (IMAGE.test(name)) return "image";
  if (/\.json$/i.test(name)) return "json";
  if (/\.(csv|tsv)$/i.test(name)) return "csv";
  if (TEXT.test(name)) return "text";
  return "binary";
}

export function ArtifactView({ runId, name }: { runId: string; name: string }) {
  const kind = kindOf(name);
  const url = artifactUrl(runId, name);
  const [open, setOpen] = useState(kind === "image");
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open || kind === "image" || kind === "binary" || text != null) return;
    fetch(url, { credentials: "same-origin" })
      .then(async (r) => {
        if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
        const t = await r.text();
        setText(t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) + "\n… (cut; download for the rest)" : t);
      })
      .catch((e: Error) => setError(e.message));
  }, [open, url]);

  let body = null;
  if (open) {
    if (error) body = <p class="error-inline">{error}</p>;
    else if (kind === "image") body = <img src={url} alt={name} class="artifact-image" loading="lazy" />;
    else if (text == null) body = <p class="muted">Loading…</p>;
    else if (kind === "json") {
      let pretty = text;
      try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as text */ }
      body = <pre class="artifact-text">{pretty}</pre>;
    } else if (kind === "csv") {
      const rows = parseCsv(text, /\.tsv$/i.test(name) ? "\t" : ",").slice(0, 201);
      body = (
        <div class="artifact-csv">
          <table class="grid">
            <thead><tr>{rows[0]?.map((h, i) => <th key={i}>{h}</th>)}</tr></thead>
            <tbody>{rows.slice(1).map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>)}</tbody>
          </table>
        </div>
      );
    } else body = <pre class="artifact-text">{text}</pre>;
  }
  return (
    <div class="artifact" data-artifact={name}>
      <div class="artifact-head">
        {kind !== "binary" ? (
          <button type="button" class="link" onClick={() => setOpen(!open)}>{open ? "▾" : "▸"} {name}</button>
        ) : <span>{name}</span>}
        <a href={url} download={name.split("/").pop()} class="small">download</a>
      </div>
      {body}
    </div>
  );
}
