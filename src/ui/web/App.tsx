import { ErrorBoundary } from "./components/ErrorBox";
import { Nav } from "./components/Nav";
import { AsOfBar } from "./history/AsOfBar";
import { ExperimentsPage } from "./runs/ExperimentsPage";
import { RunsPage } from "./runs/RunsPage";
import { RunPage } from "./run/RunPage";
import { ComparePage } from "./compare/ComparePage";
import { RegistryPage } from "./registry/RegistryPage";
import { HistoryPage } from "./history/HistoryPage";
import { VerifyPage } from "./history/VerifyPage";
import { useQuery } from "./lib/url";

export function App() {
  const query = useQuery();
  const view = query.get("view") ?? "experiments";
  const asOf = query.get("asOf");
  let page;
  switch (view) {
    case "runs": page = <RunsPage query={query} />; break;
    case "run": page = <RunPage runId={query.get("run") ?? ""} query={query} />; break;
    case "compare": page = <ComparePage query={query} />; break;
    case "registry": page = <RegistryPage query={query} />; break;
    case "history": page = <HistoryPage query={query} />; break;
    case "verify": page = <VerifyPage />; break;
    default: page = <ExperimentsPage />;
  }
  return (
    <>
      <Nav view={view} />
      <AsOfBar asOf={asOf} />
      <main class={asOf ? "past" : ""}>
        <ErrorBoundary resetKey={query.toString()}>{page}</ErrorBoundary>
      </main>
    </>
  );
}
