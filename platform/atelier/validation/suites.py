"""Great Expectations suites kept as reviewable JSON in validation_data/suites/."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file: its name, the data set it guards, and its expectations."""

    name: str
    dataset: Path
    expectations: list[dict[str, Any]]
    read_csv: dict[str, Any] = field(default_factory=dict)

    def load_frame(self) -> pd.DataFrame:
        return pd.read_csv(self.dataset, **self.read_csv)


def load_suite(path: Path, data_root: Path | None = None) -> SuiteSpec:
    raw = json.loads(path.read_text())
    for key in ("name", "dataset", "expectations"):
        if key not in raw:
            raise ValueError(f"{path}: suite file lacks '{key}'")
    root = data_root if data_root is not None else path.parent.parent
    return SuiteSpec(
        name=str(raw["name"]),
        dataset=root / str(raw["dataset"]),
        expectations=list(raw["expectations"]),
        read_csv=dict(raw.get("read_csv", {})),
    )


def load_suites(suites_dir: Path, data_root: Path | None = None) -> list[SuiteSpec]:
    return [load_suite(p, data_root) for p in sorted(suites_dir.glob("*.json"))]
