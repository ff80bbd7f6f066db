import { useEffect, useState } from "preact/hooks";
import { useApi } from "../lib/useApi";
import { useLiveState } from "../lib/live";
import type { VerifyReport } from "../lib/types";
import { href } from "../lib/url";

const PAGES: Array<[string, string]> = [
  ["experiments", "Experiments"],
  ["runs", "Runs"],
  ["registry", "Models"],
  ["history", "History"],
];

function VerifyBadge() {
  // verify() reads every journal: asked once the page's own data has had its turn.
  const [ready, setReady] = useState(false);
  useEffect(() => { const t = setTimeout(() => setReady(true), 1500); return () => clearTimeout(t); }, []);
  const report = useApi<VerifyReport>(ready ? "/api/verify" : null, { asOf: null });
  if (!report.data) return null;
  const problems = report.data.journals.reduce((n, j) => n + j.problems.filter((p) => p.kind !== "torn-tail").length, 0);
  return (
    <a class={`badge verify ${report.data.ok ? "ok" : "bad"}`} href={href({ view: "verify" })} title="verify(): checksums, chain and sequence of every journal">
      {report.data.ok ? "✓ journals verified" : `✗ ${problems} journal problem${problems === 1 ? "" : "s"}`}
    </a>
  );
}

export function Nav({ view }: { view: string }) {
  const live = useLiveState();
  return (
    <header class="nav">
      <a class="brand" href={href({})}>runelog</a>
      <nav>
        {PAGES.map(([v, label]) => (
          <a key={v} href={href({ view: v })} class={view === v ? "active" : ""}>{label}</a>
        ))}
      </nav>
      <span class="spacer" />
      <span class={`live-dot ${live}`} title={`live updates: ${live}`}>{live === "live" ? "● live" : live === "connecting" ? "○ connecting" : "○ offline"}</span>
      <VerifyBadge />
    </header>
  );
}
