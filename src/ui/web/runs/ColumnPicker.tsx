/** Choose, pin and reorder the runs table's columns. */
import { useState } from "preact/hooks";
import type { RunsAnswer } from "../lib/types";
import { availableColumns, columnFor } from "./columns";

export function ColumnPicker({ keys, shown, pinned, onChange }: {
  keys: RunsAnswer["keys"] | undefined;
  shown: string[];
  pinned: string[];
  onChange: (shown: string[], pinned: string[]) => void;
}) {
  const [open, setOpen] = useState(false);
  const [find, setFind] = useState("");
  const toggle = (id: string) => onChange(shown.includes(id) ? shown.filter((c) => c !== id) : [...shown, id], pinned.filter((p) => p !== id || shown.includes(id) === false));
  const pin = (id: string) => onChange(shown.includes(id) ? shown : [...shown, id], pinned.includes(id) ? pinned.filter((p) => p !== id) : [...pinned, id]);
  const move = (id: string, by: number) => {
    const i = shown.indexOf(id);
    const j = i + by;
    if (i < 0 || j < 0 || j >= shown.length) return;
    const next = [...shown];
    [next[i], next[j]] = [next[j]!, next[i]!];
    onChange(next, pinned);
  };
  return (
    <div class="column-picker">
      <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>Columns ({shown.length})</button>
      {open && (
        <div class="popover" role="dialog" aria-label="columns">
          <div class="popover-head">
            <input type="search" placeholder="find a column" value={find} onInput={(e) => setFind((e.target as HTMLInputElement).value)} />
            <button type="button" class="link" onClick={() => setOpen(false)}>Close</button>
          </div>
          <div class="popover-body">
            <div>
              <h4>Shown, in order</h4>
              {shown.length === 0 && <p class="muted small">none</p>}
              {shown.map((id, i) => (
                <div class="col-line" key={id}>
                  <button type="button" class="icon" title="move left" disabled={i === 0} onClick={() => move(id, -1)}>↑</button>
                  <button type="button" class="icon" title="move right" disabled={i === shown.length - 1} onClick={() => move(id, 1)}>↓</button>
                  <button type="button" class={`icon ${pinned.includes(id) ? "on" : ""}`} title="pin to the left" onClick={() => pin(id)}>📌</button>
                  <span class="col-name">{id}</span>
                  <button type="button" class="icon" title="hide" onClick={() => toggle(id)}>✕</button>
                </div>
              ))}
            </div>
            <div>
              {availableColumns(keys).map(([group, ids]) => {
                const matching = ids.filter((id) => id.toLowerCase().includes(find.toLowerCase()));
                if (!matching.length) return null;
                return (
                  <div key={group}>
                    <h4>{group}</h4>
                    {matching.map((id) => (
                      <label class="col-line" key={id}>
                        <input type="checkbox" checked={shown.includes(id)} onChange={() => toggle(id)} />
                        <span class="col-name">{columnFor(id)?.label ?? id}</span>
                      </label>
                    ))}
                  </div>
                );
              })}
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
