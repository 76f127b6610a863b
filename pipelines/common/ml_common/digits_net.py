"""The small CNN both image pipelines use on 8x8 digit tiles (imports torch: image tasks only).

Inputs are 8x8 grids of ink intensity in [0, 16] (scikit-learn's digits scale: 0 = paper,
16 = full ink); ``to_tensor`` scales them. Weights travel as a torch state_dict loaded with
``weights_only=True`` (no code runs on load).
"""

from __future__ import annotations

import io
import os
import random
from typing import Any

import numpy as np
import torch
from torch import nn


class DigitNet(nn.Module):
    def __init__(self, n_classes: int = 10, width: int = 16) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.width = width
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2 * width * 16, 64),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(64, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # type: ignore[no-any-return]


def to_tensor(grids: np.ndarray[Any, Any]) -> torch.Tensor:
    """(N, 8, 8) or (N, 64) ink grids in [0, 16] -> float tensor (N, 1, 8, 8) in [0, 1]."""
    arr = np.asarray(grids, dtype=np.float32).reshape(-1, 1, 8, 8) / 16.0
    return torch.from_numpy(arr)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads() -> None:
    """Use ``TORCH_NUM_THREADS`` CPU threads (default 1: the nets are tiny, and more threads
    only contend on a shared machine)."""
    raw = os.environ.get("TORCH_NUM_THREADS", "1")
    torch.set_num_threads(max(1, int(raw) if raw.isdigit() else 1))


def train_net(
    net: DigitNet,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    seed: int,
    lr: float = 3e-3,
    batch_size: int = 64,
    device: str = "cpu",
) -> DigitNet:
    """Plain Adam + cross-entropy training, shuffled with a fixed generator."""
    net.to(device).train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad()
            loss = loss_fn(net(x[idx].to(device)), y[idx].to(device))
            loss.backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def predict_proba(net: DigitNet, x: torch.Tensor, device: str = "cpu") -> np.ndarray[Any, Any]:
    net.to(device).eval()
    out = [
        torch.softmax(net(x[i : i + 1024].to(device)), dim=1).cpu() for i in range(0, len(x), 1024)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, net.n_classes), dtype=np.float32)


def to_bytes(net: DigitNet) -> bytes:
    buf = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    torch.save({"n_classes": net.n_classes, "width": net.width, "state": state}, buf)
    return buf.getvalue()


def from_bytes(data: bytes, device: str = "cpu") -> DigitNet:
    doc = torch.load(io.BytesIO(data), map_location=device, weights_only=True)
    net = DigitNet(n_classes=int(doc["n_classes"]), width=int(doc["width"]))
    net.load_state_dict(doc["state"])
    return net.eval()
