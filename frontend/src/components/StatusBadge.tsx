const LABELS: Record<string, string> = {
  PENDING: "Pending",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
};

export function StatusBadge({ status }: { status: string }) {
  const known = status in LABELS;
  return (
    <span className={`badge badge-${known ? status.toLowerCase() : "unknown"}`} data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}
