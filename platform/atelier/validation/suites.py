"""Great Expectations suites kept as reviewable JSON in validation_data/suites/.

A suite guards one CSV file. Two additions make cross-file rules expressible as ordinary
expectations (so a failure still names the expectation and the column):

- ``"join"``: columns looked up in another file and added to the frame before validation
  (``{"dataset": "data/digit_images.csv", "on": "image_id", "columns": {"label": "manifest_label"}}``);
- ``"value_set_from"`` in an expectation's kwargs: the value set is a column of another file
  (``{"dataset": "data/digit_images.csv", "column": "image_id"}``).
"""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Join:
    dataset: Path
    on: str
    columns: dict[str, str]
    read_csv: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file: its name, the data set it guards, and its expectations."""

    name: str
    dataset: Path
    expectations: list[dict[str, Any]]
    read_csv: dict[str, Any] = field(default_factory=dict)
    join: Join | None = None
    root: Path | None = None

    def read(self, path: Path | None = None, text: str | None = None) -> pd.DataFrame:
        """The guarded file as the pipelines read it (``text`` replaces the file's content)."""
        source: Any = io.StringIO(text) if text is not None else (path or self.dataset)
        return pd.read_csv(source, **self.read_csv)

    def load_frame(self, overrides: dict[Path, str] | None = None) -> pd.DataFrame:
        """The frame to validate; ``overrides`` maps a data file to replacement CSV text."""
        overrides = overrides or {}
        frame = self.read(text=overrides.get(self.dataset))
        if self.join is not None:
            other_text = overrides.get(self.join.dataset)
            other = pd.read_csv(
                io.StringIO(other_text) if other_text is not None else self.join.dataset,
                **self.join.read_csv,
            )
            wanted = other[[self.join.on, *self.join.columns]].drop_duplicates(self.join.on)
            frame = frame.merge(
                wanted.rename(columns=self.join.columns), on=self.join.on, how="left"
            )
        return frame

    def depends_on(self) -> set[Path]:
        """Every data file whose content this suite's verdict depends on."""
        files = {self.dataset}
        if self.join is not None:
            files.add(self.join.dataset)
        for e in self.expectations:
            source = e.get("kwargs", {}).get("value_set_from")
            if source and self.root is not None:
                files.add(self.root / source["dataset"])
        return files

    def resolved_expectations(
        self, overrides: dict[Path, str] | None = None
    ) -> list[dict[str, Any]]:
        """The expectations with ``value_set_from`` replaced by the other file's values."""
        out = []
        for raw in self.expectations:
            e = copy.deepcopy(raw)
            kwargs = e.setdefault("kwargs", {})
            source = kwargs.pop("value_set_from", None)
            if source is not None:
                if self.root is None:
                    raise ValueError(f"suite {self.name}: value_set_from needs a data root")
                path = self.root / source["dataset"]
                text = (overrides or {}).get(path)
                other = pd.read_csv(
                    io.StringIO(text) if text is not None else path,
                    dtype={source["column"]: str},
                )
                kwargs["value_set"] = sorted(other[source["column"]].dropna().unique().tolist())
            out.append(e)
        return out


def load_suite(path: Path, data_root: Path | None = None) -> SuiteSpec:
    raw = json.loads(path.read_text())
    for key in ("name", "dataset", "expectations"):
        if key not in raw:
            raise ValueError(f"{path}: suite file lacks '{key}'")
    root = data_root if data_root is not None else path.parent.parent
    join = None
    if "join" in raw:
        j = raw["join"]
        join = Join(
            root / str(j["dataset"]), str(j["on"]), dict(j["columns"]), dict(j.get("read_csv", {}))
        )
    return SuiteSpec(
        name=str(raw["name"]),
        dataset=root / str(raw["dataset"]),
        expectations=list(raw["expectations"]),
        read_csv=dict(raw.get("read_csv", {})),
        join=join,
        root=root,
    )


def load_suites(suites_dir: Path, data_root: Path | None = None) -> list[SuiteSpec]:
    return [load_suite(p, data_root) for p in sorted(suites_dir.glob("*.json"))]
