"""The trained emotion classifier: a numpy softmax regression over processors.emotion.features.

It is trained offline (``python -m processors.emotion.training``) on the example phrases and the
labelled sentences we may train on, and shipped as
``processors/emotion/data/emotion_model.npz`` (a few KB). ``alert_bias`` is added to the fear
and sadness logits; it is calibrated by cross-validation because those two classes drive
parent alerts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

# scipy (~90 MiB resident) is only for training: the daemon's inference is numpy alone.
if TYPE_CHECKING:
    from scipy import sparse

from processors.emotion.features import FEATURE_DIM
from processors.emotion.labels import EMOTIONS

MODEL_RESOURCE = "emotion_model.npz"
ALERT_CLASSES = ("fear", "sadness")
Matrix = npt.NDArray[np.float64]


@dataclass
class SoftmaxModel:
    """Weights (features x classes), bias, the class names and the alert bias."""

    weights: Matrix
    bias: Matrix
    classes: list[str] = field(default_factory=lambda: list(EMOTIONS))
    alert_bias: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        if self.weights.shape != (FEATURE_DIM, len(self.classes)):
            raise ValueError(
                f"emotion model weights are {self.weights.shape}, "
                f"expected ({FEATURE_DIM}, {len(self.classes)})"
            )
        if set(self.classes) - set(EMOTIONS):
            raise ValueError(f"emotion model names unknown classes: {self.classes}")

    def logits(self, x: Matrix, alert_bias: float | None = None) -> Matrix:
        """Class logits per row, with the alert bias on fear and sadness."""
        z = x @ self.weights + self.bias
        shift = self.alert_bias if alert_bias is None else alert_bias
        for name in ALERT_CLASSES:
            if name in self.classes:
                z[:, self.classes.index(name)] += shift
        return z

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            classes=np.array(self.classes),
            alert_bias=np.array(self.alert_bias),
            note=np.array(self.note),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> SoftmaxModel:
        """The shipped model (or the file given); ValueError if it does not fit the features."""
        if path is None:
            raw = (
                resources.files("processors.emotion").joinpath("data", MODEL_RESOURCE).read_bytes()
            )
        else:
            raw = path.read_bytes()
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            return cls(
                weights=data["weights"].astype(np.float64),
                bias=data["bias"].astype(np.float64),
                classes=[str(c) for c in data["classes"]],
                alert_bias=float(data["alert_bias"]),
                note=str(data["note"]),
            )


def fit_softmax(
    x: Matrix,
    y: npt.NDArray[np.intp],
    classes: int,
    l2: float,
    sample_weight: Matrix | None = None,
    steps: int = 1500,
) -> tuple[Matrix, Matrix]:
    """Multinomial logistic regression, L2 on the weights, by Nesterov gradient descent.

    The step is 1/L with L the loss's smoothness bound, so it is stable whatever the scale of
    the features; deterministic. The rows are mostly zeros (hashed words), so they are held
    sparse: ~1 s for a thousand rows.
    """
    from scipy import sparse

    n, dim = x.shape
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = w / w.sum()
    target = np.eye(classes)[y]
    xb = np.hstack([x, np.ones((n, 1))])
    smooth = 0.5 * _top_singular_value(sparse.csr_matrix(xb * np.sqrt(w)[:, None])) ** 2 + l2
    step = 1.0 / smooth
    theta = np.zeros((dim + 1, classes))
    previous = theta.copy()
    penalty = np.ones((dim + 1, 1))
    penalty[-1] = 0.0  # no penalty on the bias
    # Mostly-zero columns (the hashed words) go through a sparse product, the rest stay dense.
    # Columns are reordered so the dense ones form one block (``split``) and slices suffice.
    sparse_column = (xb != 0).mean(axis=0) < 0.2
    order = np.argsort(sparse_column, kind="stable")
    split = int((~sparse_column).sum())
    xb, penalty = xb[:, order], penalty[order]
    xd = np.ascontiguousarray(xb[:, :split])
    xdt = np.ascontiguousarray(xd.T)
    xs = sparse.csr_matrix(xb[:, split:])
    xst = xs.T.tocsr()
    grad = np.zeros_like(theta)
    for k in range(1, steps + 1):
        look = theta + (k - 1) / (k + 2) * (theta - previous)
        z = xd @ look[:split] + xs @ look[split:]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        residual = (p - target) * w[:, None]
        grad[:split] = xdt @ residual
        grad[split:] = xst @ residual
        grad += l2 * penalty * look
        previous, theta = theta, look - step * grad
    theta[order] = theta.copy()
    return theta[:-1], theta[-1]


def _top_singular_value(a: sparse.csr_matrix, iterations: int = 100) -> float:
    """Largest singular value by power iteration (deterministic start), padded by 10 % because
    the iteration approaches it from below and too large a step would diverge."""
    v = np.ones(a.shape[1]) / np.sqrt(a.shape[1])
    sigma = 0.0
    for _ in range(iterations):
        u = a @ v
        v = a.T @ u
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            return 0.0
        sigma = np.sqrt(norm)
        v /= norm
    return 1.1 * float(sigma)
