import type { RunStatus } from "../lib/types";

export function StatusBadge({ status }: { status: RunStatus | string }) {
  return <span class={`status status-${status.toLowerCase()}`} title={status === "KILLED" ? "its process died without ending the run" : undefined}>{status}</span>;
}
