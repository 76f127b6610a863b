"""Each registered model, loaded from the registry and seen through EvaluatedModel, with the
validation set it is judged on (the pipelines' own fixed held-out splits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from atelier.evaluation.candidate import EvaluatedModel
from ml_common import model_store

ValidationSet = tuple[NDArray[np.float64], NDArray[np.int64]]


@dataclass(frozen=True)
class ModelKind:
    load: Callable[[model_store.LoadedModel], EvaluatedModel]
    validation_set: Callable[[], ValidationSet]


def _structured(loaded: model_store.LoadedModel) -> EvaluatedModel:
    from structured_data.model import Classifier

    clf = Classifier.from_json(loaded.data)
    classes = [int(c) for c in clf.pipeline.named_steps["clf"].classes_]
    return EvaluatedModel(
        loaded.version, clf.predict_proba, list(clf.columns), classes, loaded.metadata
    )


def _structured_set() -> ValidationSet:
    from structured_data.features import load_dataset

    data = load_dataset()
    return data.X[data.test_mask], data.y[data.test_mask]


def _digits(loaded: model_store.LoadedModel) -> EvaluatedModel:
    from ml_common.digits_net import from_bytes, predict_proba, to_tensor

    net = from_bytes(loaded.data)

    def proba(rows: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(predict_proba(net, to_tensor(rows)), dtype=np.float64)

    pixels = [f"pixel_{i}" for i in range(64)]
    return EvaluatedModel(
        loaded.version, proba, pixels, list(range(net.n_classes)), loaded.metadata
    )


def _digits_set() -> ValidationSet:
    from non_structured_data_images.train import split_digits

    _, x_test, _, y_test = split_digits()
    return np.asarray(x_test, dtype=np.float64).reshape(len(x_test), 64), np.asarray(
        y_test, dtype=np.int64
    )


KINDS: dict[str, ModelKind] = {
    "structured_data": ModelKind(_structured, _structured_set),
    "digits_cnn": ModelKind(_digits, _digits_set),
    # the active-learning model (10 digit classes, no background class) is judged on the same
    # held-out digits as the image model: one yardstick for both digit models
    "al_digits_cnn": ModelKind(_digits, _digits_set),
}
