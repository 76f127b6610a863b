import { useCallback, useEffect, useState } from "react";

export type View = "jobs" | "operations";

function fromHash(hash: string): View {
  return hash.replace(/^#\/?/, "") === "operations" ? "operations" : "jobs";
}

/** The current view, kept in the address (`#operations`) so a reload or a link lands on it. */
export function useViewFromHash(): [View, (next: View) => void] {
  const [view, setView] = useState<View>(() => fromHash(window.location.hash));
  useEffect(() => {
    const changed = () => setView(fromHash(window.location.hash));
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  const go = useCallback((next: View) => {
    window.location.hash = next === "operations" ? "#operations" : "";
    setView(next);
  }, []);
  return [view, go];
}

export function ViewTabs({ view, onChange }: { view: View; onChange: (next: View) => void }) {
  const tabs: [View, string][] = [
    ["jobs", "Models and jobs"],
    ["operations", "Operations"],
  ];
  return (
    <nav className="tabs" role="tablist" aria-label="Views">
      {tabs.map(([id, label]) => (
        <button
          key={id}
          type="button"
          role="tab"
          aria-selected={view === id}
          className={view === id ? "tab tab-active" : "tab"}
          onClick={() => onChange(id)}
        >
          {label}
        </button>
      ))}
    </nav>
  );
}
