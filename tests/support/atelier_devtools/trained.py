"""Models the tests train, trained once per pytest session and kept in memory.

The golden tests and the model-gate mutation tests judge the same committed digits CNN; a CNN
training takes tens of seconds on two shared cores, so it happens once per process.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def digits_cnn(seed: int = 0) -> Any:
    """The image pipeline's ``train()`` with its committed parameters and ``seed``."""
    from non_structured_data_images.train import train

    return train({"seed": seed})
