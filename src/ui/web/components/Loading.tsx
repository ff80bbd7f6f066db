import type { ComponentChildren } from "preact";
import type { Loaded } from "../lib/useApi";
import { ErrorBox } from "./ErrorBox";

/** Shows the error, a loading line, or the children once data is there. */
export function Loading<T>({ state, children }: { state: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (state.error && state.data === undefined) return <ErrorBox error={state.error} />;
  if (state.data === undefined) return <p class="muted loading">Loading…</p>;
  return (
    <>
      {state.error && <ErrorBox error={state.error} />}
      {children(state.data)}
    </>
  );
}
