/**
 * The filter box: searchRuns' grammar, with completion of the identifier under the cursor from the
 * keys the server knows; the server's caret message shows under the box when the filter is wrong.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { RunsAnswer } from "../lib/types";
import { suggestions, wordAt } from "./complete";

export function SearchBox({ value, keys, error, onSearch }: {
  value: string;
  keys: RunsAnswer["keys"] | undefined;
  error: string | null;
  onSearch: (filter: string) => void;
}) {
  const [text, setText] = useState(value);
  const [cursor, setCursor] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setText(value), [value]);

  const { start, word } = wordAt(text, cursor);
  const options = open ? suggestions(word, keys) : [];

  const accept = (option: string) => {
    const next = text.slice(0, start) + option + (option.endsWith(".") ? "" : " ") + text.slice(cursor);
    const at = start + option.length + (option.endsWith(".") ? 0 : 1);
    setText(next);
    setActive(0);
    requestAnimationFrame(() => {
      input.current?.setSelectionRange(at, at);
      setCursor(at);
    });
    input.current?.focus();
  };

  return (
    <div class="search">
      <div class="search-row">
        <input
          ref={input}
          class={`search-input ${error ? "invalid" : ""}`}
          type="search"
          spellcheck={false}
          autocomplete="off"
          aria-label="filter runs"
          placeholder="filter, e.g.  metrics.val_accuracy > 0.9 and params.l2 = 0"
          value={text}
          onInput={(e) => {
            const el = e.target as HTMLInputElement;
            setText(el.value);
            setCursor(el.selectionStart ?? el.value.length);
            setOpen(true);
            setActive(0);
          }}
          onKeyUp={(e) => setCursor((e.target as HTMLInputElement).selectionStart ?? 0)}
          onClick={(e) => setCursor((e.target as HTMLInputElement).selectionStart ?? 0)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={(e) => {
            if (options.length && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
              e.preventDefault();
              setActive((active + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
            } else if (options.length && (e.key === "Tab" || (e.key === "Enter" && word && options[active] !== word))) {
              e.preventDefault();
              accept(options[active]!);
            } else if (e.key === "Enter") {
              setOpen(false);
              onSearch(text.trim());
            } else if (e.key === "Escape") setOpen(false);
          }}
        />
        <button type="button" onClick={() => onSearch(text.trim())}>Search</button>
        {value && <button type="button" class="link" onClick={() => onSearch("")}>Clear</button>}
      </div>
      {options.length > 0 && (
        <ul class="completions" role="listbox">
          {options.map((o, i) => (
            <li key={o} role="option" aria-selected={i === active} class={i === active ? "active" : ""} onMouseDown={(e) => { e.preventDefault(); accept(o); }}>
              {o}
            </li>
          ))}
        </ul>
      )}
      {error && <pre class="filter-error" role="alert">{error}</pre>}
    </div>
  );
}
