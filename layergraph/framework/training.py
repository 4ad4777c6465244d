"""Keras' model methods (``compile``, ``fit``, ``evaluate``, ``predict``, ``save``).

They are thin fronts: ``compile`` makes a :class:`~layergraph.framework.trainer.Trainer`
and the others delegate to it.
"""
from __future__ import annotations

import numpy as np


class TrainingMixin:
    """Mixed into :class:`~layergraph.Model` and :class:`~layergraph.Sequential`."""

    def _init_training(self):
        self._trainer = None
        self.stop_training = False
        self.history = None

    def compile(self, optimizer="sgd", loss=None, metrics=None, gradient="analytic", seed=None):
        """Configure training.

        Parameters
        ----------
        optimizer : str or Optimizer
        loss : str or Loss
        metrics : list, optional
            E.g. ``["accuracy"]``.
        gradient : {"analytic", "numeric"} or GradientStrategy
            How gradients are computed; the trainer injects it.
        seed : int, optional
            Seed of the shuffling in ``fit``.
        """
        from .trainer import Trainer

        if loss is None:
            raise ValueError(f"compile: model {self.name!r} needs a loss, e.g. loss='mse'")
        if getattr(self, "_multi_output", False):
            raise ValueError(f"compile: model {self.name!r} has several outputs; training supports one output")
        self._trainer = Trainer(self, loss, optimizer, gradient, metrics, seed)

    def _require_compiled(self, what):
        if self._trainer is None:
            raise RuntimeError(f"Model {self.name!r} must be compiled before {what}(); call model.compile(...)")
        return self._trainer

    @property
    def optimizer(self):
        return self._trainer.optimizer if self._trainer else None

    @property
    def loss(self):
        return self._trainer.loss if self._trainer else None

    @property
    def trainer(self):
        """The :class:`Trainer` made by :meth:`compile` (``None`` before)."""
        return self._trainer

    def fit(self, x, y, epochs=1, batch_size=None, shuffle=True, validation_data=None, verbose=1, callbacks=None,
            initial_epoch=0):
        """Train the model; returns a :class:`~layergraph.callbacks.History`.

        ``history.history`` maps ``"loss"`` (and ``"accuracy"``, ``"val_loss"``,
        ``"val_accuracy"`` as applicable) to one value per epoch.
        """
        return self._require_compiled("fit").fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                                                 validation_data=validation_data, verbose=verbose,
                                                 callbacks=callbacks, initial_epoch=initial_epoch)

    def evaluate(self, x, y, batch_size=None, verbose=0, return_dict=False):
        """The loss, or ``[loss, *metrics]`` when compiled with metrics (on
        outputs computed as :meth:`predict` does)."""
        logs = self._require_compiled("evaluate").evaluate(x, y, batch_size)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0):
        """Outputs for ``x`` in inference mode, shape ``(n, *output_shape)``, computed
        in batches of ``batch_size`` (default: chosen for the model by
        :func:`~layergraph.framework.trainer.predict_batch_size`; the outputs do
        not depend on it)."""
        from .trainer import predict

        return predict(self, x, batch_size)

    def train_on_batch(self, x, y):
        """One optimizer step on one batch; returns the loss before the step."""
        trainer = self._require_compiled("train_on_batch")
        x = np.asarray(x, dtype=self.dtype)
        trainer._ensure_built(x)
        logs = trainer.train_step(x, np.asarray(y))
        if logs is None:
            raise FloatingPointError(f"train_on_batch: non-finite loss or gradient; weights of {self.name!r} unchanged")
        return logs["loss"]

    def save(self, path, include_optimizer=True):
        """Write architecture, weights (and optimizer state) to one file, atomically."""
        from .saving import save_model

        save_model(self, path, include_optimizer=include_optimizer)
