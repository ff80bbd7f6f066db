/**
 * The runs table, virtually scrolled: only the rows in view (plus a margin) are in the DOM, so
 * 10,000 runs scroll as smoothly as 10. Pinned columns stay at the left (moved by --sx), the header at the top.
 * Rows are replaced in place on live updates: the scroll position and the selection stay.
 */
import { Component } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { StatusBadge } from "../components/StatusBadge";
import { href } from "../lib/url";
import type { Column } from "./columns";
import { runName } from "./columns";
import type { Row } from "./tree";

export const ROW_HEIGHT = 30;
const OVERSCAN = 12;
const FIXED = [
  { id: "select", width: 34 },
  { id: "run", width: 200 },
  { id: "status", width: 96 },
];

export interface SortState { id: string; desc: boolean }

export function RunsTable({ rows, total, columns, pinned, sort, onSort, selected, onSelect, collapsed, onCollapse }: {
  rows: Row[];
  total: number;
  columns: Column[];
  pinned: string[];
  sort: SortState | null;
  onSort: (column: Column) => void;
  selected: ReadonlySet<string>;
  onSelect: (runId: string, on: boolean) => void;
  collapsed: ReadonlySet<string>;
  onCollapse: (runId: string) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    let frame = 0;
    let left = 0;
    const update = () => {
      frame = 0;
      setView({ top: el.scrollTop, height: el.clientHeight });
    };
    const onScroll = () => {
      // Pinned cells follow a horizontal scroll through one CSS variable: position: sticky on every
      // cell of every row made each vertical scroll frame several times slower in Chromium.
      if (el.scrollLeft !== left) {
        left = el.scrollLeft;
        el.style.setProperty("--sx", `${left}px`);
      }
      if (!frame) frame = requestAnimationFrame(update);
    };
    update();
    el.addEventListener("scroll", onScroll, { passive: true });
    const ro = new ResizeObserver(onScroll);
    ro.observe(el);
    return () => { el.removeEventListener("scroll", onScroll); ro.disconnect(); cancelAnimationFrame(frame); };
  }, []);
  // A fresh filter or sort starts at the top; a live update of the same query keeps the place.
  useEffect(() => { if (box.current) box.current.scrollTop = 0; }, [sort?.id, sort?.desc]);

  const ordered = [...columns.filter((c) => pinned.includes(c.id)), ...columns.filter((c) => !pinned.includes(c.id))];
  const isPinned = new Set(pinned);
  const width = FIXED.reduce((s, f) => s + f.width, 0) + ordered.reduce((s, c) => s + c.width, 0);
  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  const columnsKey = `${ordered.map((c) => `${c.id}:${c.width}`).join(",")}|${pinned.join(",")}`;
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.run.runId));

  const pinStyle = (_id: string, w: number, _fixedIndex?: number) => ({ width: `${w}px`, minWidth: `${w}px` });
  const pinClass = (id: string, fixed = false) => (fixed || isPinned.has(id) ? "pinned" : "");

  return (
    <div class="runs-table" ref={box} role="grid" aria-rowcount={rows.length} data-total={total}>
      <div class="rt-head" style={{ width: `${width}px` }} role="row">
        <div class="rt-cell pinned" style={pinStyle("select", FIXED[0]!.width, 0)}>
          <input type="checkbox" aria-label="select all" checked={allSelected} onChange={(e) => {
            const on = (e.target as HTMLInputElement).checked;
            for (const r of rows.slice(0, 50)) onSelect(r.run.runId, on);
          }} title="select the first 50" />
        </div>
        <div class="rt-cell pinned" style={pinStyle("run", FIXED[1]!.width, 1)}><span class="rt-kind">&nbsp;</span><span>Run</span></div>
        <div class="rt-cell pinned sortable" role="columnheader" style={pinStyle("status", FIXED[2]!.width, 2)} onClick={() => onSort({ id: "attributes.status", sortKey: "attributes.status" } as Column)}>
          <span class="rt-kind">&nbsp;</span><span>Status{sort?.id === "attributes.status" ? (sort.desc ? " ↓" : " ↑") : ""}</span>
        </div>
        {ordered.map((c) => (
          <div key={c.id} role="columnheader" class={`rt-cell ${c.numeric ? "num" : ""} ${c.sortKey ? "sortable" : ""} ${pinClass(c.id)} kind-${c.kind}`}
            style={pinStyle(c.id, c.width)} title={`${c.id}${c.sortKey ? " — click to sort" : ""}`} onClick={() => c.sortKey && onSort(c)}>
            <span class="rt-kind">{c.kind === "attributes" ? "\u00a0" : c.kind === "metrics" ? "metric" : c.kind === "params" ? "param" : "tag"}</span>
            <span>{c.label}{sort?.id === c.id ? (sort.desc ? " ↓" : " ↑") : ""}</span>
          </div>
        ))}
      </div>
      <div class="rt-body" style={{ height: `${rows.length * ROW_HEIGHT}px`, width: `${width}px` }}>
        {rows.slice(first, last).map((row, i) => (
          <RunRow key={row.run.runId} row={row} index={first + i} width={width} ordered={ordered} columnsKey={columnsKey}
            selected={selected.has(row.run.runId)} collapsed={collapsed.has(row.run.runId)} pinStyle={pinStyle} pinClass={pinClass}
            onSelect={onSelect} onCollapse={onCollapse} />
        ))}
      </div>
      {rows.length === 0 && <p class="muted empty">No runs match.</p>}
    </div>
  );
}

interface RunRowProps {
  row: Row;
  index: number;
  width: number;
  ordered: Column[];
  /** Changes whenever the columns (or their pins) do: rows re-render only then, or when their own run changes. */
  columnsKey: string;
  selected: boolean;
  collapsed: boolean;
  pinStyle: (id: string, w: number, fixedIndex?: number) => Record<string, string>;
  pinClass: (id: string, fixed?: boolean) => string;
  onSelect: (runId: string, on: boolean) => void;
  onCollapse: (runId: string) => void;
}

/** One row; scrolling mounts the rows coming into view and leaves the others alone. */
class RunRow extends Component<RunRowProps> {
  override shouldComponentUpdate(next: RunRowProps): boolean {
    const p = this.props;
    return next.row.run !== p.row.run || next.row.depth !== p.row.depth || next.row.childCount !== p.row.childCount || next.index !== p.index ||
      next.columnsKey !== p.columnsKey || next.selected !== p.selected || next.collapsed !== p.collapsed || next.width !== p.width;
  }

  override render() {
    const { row, index, width, ordered, selected, collapsed, pinStyle, pinClass, onSelect, onCollapse } = this.props;
    const r = row.run;
    return (
      <div role="row" class={`rt-row ${selected ? "selected" : ""} ${index % 2 ? "odd" : ""}`}
        style={{ transform: `translateY(${index * ROW_HEIGHT}px)`, width: `${width}px` }} data-run={r.runId}>
        <div class="rt-cell pinned" style={pinStyle("select", FIXED[0]!.width, 0)}>
          <input type="checkbox" aria-label={`select ${r.runId}`} checked={selected} onChange={(e) => onSelect(r.runId, (e.target as HTMLInputElement).checked)} />
        </div>
        <div class="rt-cell pinned run-cell" style={{ ...pinStyle("run", FIXED[1]!.width, 1), paddingLeft: `${6 + row.depth * 16}px` }}>
          {row.childCount > 0 ? (
            <button type="button" class="icon twisty" aria-label={collapsed ? "expand" : "collapse"} onClick={() => onCollapse(r.runId)}>
              {collapsed ? "▸" : "▾"}
            </button>
          ) : row.depth > 0 ? <span class="twisty muted">└</span> : null}
          <a href={href({ view: "run", run: r.runId })} title={r.runId}>{runName(r)}</a>
          {row.childCount > 0 && <span class="muted small"> ({row.childCount})</span>}
        </div>
        <div class="rt-cell pinned" style={pinStyle("status", FIXED[2]!.width, 2)}><StatusBadge status={r.status} /></div>
        {ordered.map((c) => {
          const text = c.text(r);
          return (
            <div key={c.id} class={`rt-cell ${c.numeric ? "num" : ""} ${pinClass(c.id)}`} style={pinStyle(c.id, c.width)} title={text}>
              {text}
            </div>
          );
        })}
      </div>
    );
  }
}
