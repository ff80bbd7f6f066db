import { Loading } from "../components/Loading";
import type { VerifyReport } from "../lib/types";
import { useApi } from "../lib/useApi";

const MEANING: Record<string, string> = {
  "torn-tail": "an unfinished last line (a crash mid-append): readers skip it and the next append repairs it",
  "bad-checksum": "the line's bytes do not match its checksum",
  "bad-json": "the line is not JSON",
  "broken-chain": "a line was removed, duplicated or reordered before this one",
  "unknown-event": "an event type or schema version this runelog does not know",
};

export function VerifyPage() {
  const report = useApi<VerifyReport>("/api/verify", { asOf: null });
  return (
    <section class="verify-page">
      <div class="page-head"><h1>Journal check</h1><span class="muted">verify(): checksum, JSON, sequence and hash chain of every line</span></div>
      <Loading state={report}>
        {(r) => (
          <>
            <p class={r.ok ? "ok-line" : "bad-line"} data-testid="verify-result">{r.ok ? "✓ Every journal is intact." : "✗ Some journals are damaged: reads of them fail with JournalCorrupted unless opened with onCorrupt: \"skip\"."}</p>
            <table class="grid">
              <thead><tr><th>file</th><th class="num">events</th><th class="num">line</th><th class="num">offset</th><th>kind</th></tr></thead>
              <tbody>
                {r.journals.flatMap((j) => j.problems.length === 0
                  ? [<tr key={j.file}><td class="mono">{j.file}</td><td class="num">{j.events}</td><td colSpan={3} class="muted">no problem</td></tr>]
                  : j.problems.map((p, i) => (
                    <tr key={`${j.file}:${i}`} class="problem"><td class="mono">{j.file}</td><td class="num">{j.events}</td><td class="num">{p.line}</td><td class="num">{p.offset}</td>
                      <td><strong>{p.kind}</strong> <span class="muted small">{MEANING[p.kind] ?? ""}</span></td></tr>
                  )))}
              </tbody>
            </table>
          </>
        )}
      </Loading>
    </section>
  );
}
