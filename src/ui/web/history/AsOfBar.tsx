/**
 * The global "as of" control: a slider over the store's timeline (first event → now). Moving it
 * sets `asOf` in the URL, so every page re-renders as the store was then; the banner says the view
 * is read-only and the URL is its permalink.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { fmtTime } from "../lib/format";
import type { EventsAnswer } from "../lib/types";
import { patchQuery } from "../lib/url";

function instantMs(asOf: string): number {
  if (/^\d+$/.test(asOf)) return Number(asOf);
  const t = Date.parse(asOf);
  return Number.isNaN(t) ? NaN : t;
}

export function AsOfBar({ asOf }: { asOf: string | null }) {
  const [open, setOpen] = useState(asOf != null);
  const [range, setRange] = useState<{ first: number; last: number } | null>(null);
  const [value, setValue] = useState<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (!open || range) return;
    // The timeline's first event, asked of the present store (not of the view).
    fetch("/api/events?limit=1", { credentials: "same-origin" })
      .then((r) => r.json() as Promise<EventsAnswer>)
      .then((a) => {
        const first = a.events?.[0] ? Date.parse(a.events[0].ts) : Date.now() - 3_600_000;
        setRange({ first, last: Date.now() });
      })
      .catch(() => setRange({ first: Date.now() - 3_600_000, last: Date.now() }));
  }, [open, range]);

  useEffect(() => setValue(asOf ? instantMs(asOf) : null), [asOf]);

  const at = value ?? range?.last ?? Date.now();
  const move = (ms: number, final: boolean) => {
    setValue(ms);
    if (timer.current) clearTimeout(timer.current);
    const apply = () => patchQuery({ asOf: range && ms >= range.last ? null : new Date(ms).toISOString() }, { replace: !final });
    if (final) apply();
    else timer.current = setTimeout(apply, 60);
  };

  return (
    <>
      {asOf && (
        <div class="asof-banner" role="status">
          <strong>Read-only view of the past:</strong> the store as it was at {fmtTime(Number.isNaN(instantMs(asOf)) ? asOf : new Date(instantMs(asOf)).toISOString())}
          {" "}<span class="muted">({asOf})</span>. This page's URL is its permalink.
          <button type="button" class="link" onClick={() => patchQuery({ asOf: null })}>Back to now</button>
        </div>
      )}
      <div class="asof-bar">
        <button type="button" class={`link ${open ? "active" : ""}`} onClick={() => setOpen(!open)} aria-expanded={open}>
          Time travel: as of…
        </button>
        {open && range && (
          <>
            <span class="muted small">{fmtTime(new Date(range.first).toISOString())}</span>
            <input
              type="range"
              class="asof-slider"
              aria-label="as of"
              min={range.first}
              max={range.last}
              step={1}
              value={Math.min(Math.max(at, range.first), range.last)}
              onInput={(e) => move(Number((e.target as HTMLInputElement).value), false)}
              onChange={(e) => move(Number((e.target as HTMLInputElement).value), true)}
            />
            <span class="muted small">now</span>
            <span class="asof-value">{asOf ? fmtTime(new Date(at).toISOString()) : "now"}</span>
          </>
        )}
      </div>
    </>
  );
}
