import type { DetectionsTable as Table } from "../lib/normalize";
import { formatCell } from "../lib/normalize";

const MAX_ROWS = 200;

export function DetectionsTable({ table }: { table: Table }) {
  if (table.rows.length === 0) return <p className="muted">No detection in this image.</p>;
  const shown = table.rows.slice(0, MAX_ROWS);
  return (
    <div className="table-wrap">
      <table aria-label="Detections" className="data">
        <thead>
          <tr>
            <th scope="col">#</th>
            {table.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((row, i) => (
            <tr key={i}>
              <td>{i + 1}</td>
              {table.columns.map((c) => (
                <td key={c}>{formatCell(row[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {table.rows.length > MAX_ROWS ? <p className="muted small">First {MAX_ROWS} of {table.rows.length} detections.</p> : null}
    </div>
  );
}
