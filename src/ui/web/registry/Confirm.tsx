import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ErrorBox } from "../components/ErrorBox";

/** The step before any change: says exactly what will happen; nothing is sent until Confirm. */
export function Confirm({ what, run, onDone, onCancel }: { what: ComponentChildren; run: () => Promise<unknown>; onDone: () => void; onCancel: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  return (
    <div class="confirm" role="alertdialog" aria-label="confirm change">
      <p>{what}</p>
      {error && <ErrorBox error={error} title="Not changed" />}
      <button type="button" class="primary" disabled={busy} onClick={async () => {
        setBusy(true);
        try { await run(); onDone(); } catch (e) { setError(e as Error); setBusy(false); }
      }}>Confirm</button>
      <button type="button" class="link" onClick={onCancel}>Cancel</button>
    </div>
  );
}
