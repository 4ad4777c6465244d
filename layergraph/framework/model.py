"""The user-facing :class:`Model`: a layer with training, inference, saving and a summary.

``Model`` sits on top of everything else, as in Keras (``Model(Trainer,
Layer)``): the computation comes from :class:`~layergraph.framework.layers.Layer`
(and, for functional models, :class:`~layergraph.framework.graph.Graph`),
``compile`` makes a :class:`~layergraph.framework.trainer.Trainer` that
``fit``/``evaluate`` delegate to, and ``save`` hands the model to
:mod:`~layergraph.framework.saving`.

There are three kinds of model, as in Keras:

- functional: ``Model(inputs=..., outputs=...)`` (:class:`~layergraph.framework.functional.Functional`);
- :class:`~layergraph.framework.sequential.Sequential`;
- subclassed: ``class MyModel(Model)`` creating layers in ``__init__`` and
  computing in ``call()``.

Example
-------
>>> import numpy as np, layergraph as lg
>>> class TwoLayers(lg.Model):
...     def __init__(self, **kwargs):
...         super().__init__(**kwargs)
...         self.hidden = lg.layers.Dense(4, activation="tanh", seed=0)
...         self.out = lg.layers.Dense(1, seed=1)
...     def call(self, inputs):
...         return self.out(self.hidden(inputs))
>>> model = TwoLayers()
>>> model.predict(np.ones((3, 2))).shape
(3, 1)
>>> len(model.trainable_weights)
4
"""
from __future__ import annotations

import json

import numpy as np

from . import saving
from .full_batch import ScipyTrainer
from .layers.base import Layer
from .layers.tracing import backward_follows
from .naming import custom_object_scope
from .trainer import Trainer
from .trainer import predict as predict_arrays

__all__ = ["Model"]

#: The class ``Model(inputs=..., outputs=...)`` makes (set when it is defined, see ``__init_subclass__``).
_FUNCTIONAL: list[type] = []


def _functional_arguments(args, kwargs):
    return len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs or (len(args) == 1 and "outputs" in kwargs)


class Model(Layer):
    """A model: layers with ``compile``, ``fit``, ``evaluate``, ``predict``, ``save`` and ``summary``.

    ``Model(inputs, outputs, name=None)`` builds a functional model (see
    :class:`~layergraph.framework.functional.Functional`); subclass it and
    define :meth:`call` for a model written as code (layers assigned as
    attributes in ``__init__`` are tracked).

    Parameters
    ----------
    *args
        ``Model(inputs, outputs)``: the functional form (see
        :class:`~layergraph.Functional`); a subclass takes no positional
        arguments here.
    name : str, optional
        The model's name; default from the class name (``model``, ``model_1``...).
    trainable : bool, default True
        When false, ``fit`` updates none of the model's weights.
    dtype : str, optional
        Floating dtype of the weights and computations (default ``"float64"``).
    **kwargs
        ``inputs=``/``outputs=`` for a functional model; other
        :class:`~layergraph.layers.Layer` arguments (``input_shape``, ``seed``).

    Example
    -------
    The three ways to make a model compute the same function:

    >>> import numpy as np, layergraph as lg
    >>> inputs = lg.Input(shape=(3,))
    >>> functional = lg.Model(inputs, lg.layers.Dense(2, kernel_initializer="ones")(inputs))
    >>> sequential = lg.Sequential([lg.layers.Dense(2, kernel_initializer="ones", input_shape=(3,))])
    >>> class Subclassed(lg.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.dense = lg.layers.Dense(2, kernel_initializer="ones")
    ...     def call(self, inputs):
    ...         return self.dense(inputs)
    >>> x = np.array([[1.0, 2.0, 3.0]])
    >>> [m.predict(x, verbose=0).tolist() for m in (functional, sequential, Subclassed())]
    [[[6.0, 6.0]], [[6.0, 6.0]], [[6.0, 6.0]]]

    Notes
    -----
    What the trainer and the strategies call on a model is the
    :class:`~layergraph.layers.Layer` contract (``forward``,
    ``backward``, ``trainable_weights``, ``penalties``, ``losses``) plus:
    ``input_names``/``output_names``/``input_dtypes``, ``build_from_inputs``,
    ``arrays_for_forward``, ``forward_inference``, ``layer_output_sizes``
    and ``output_activation`` (one per output for several outputs), and
    ``computation_graph`` (the vectorised numeric gradient).
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            return super().__new__(_FUNCTIONAL[0])
        return super().__new__(cls)

    def __init_subclass__(cls, functional=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if functional:
            _FUNCTIONAL[:] = [cls]
        # A subclass that redefines forward alone must not inherit a parent's
        # faster inference path for the old computation: it gets the generic one.
        if "forward" in cls.__dict__ and "forward_inference" not in cls.__dict__:
            cls.forward_inference = Model.forward_inference
        # Nor the parent's graph: its forward no longer runs it.
        if "forward" in cls.__dict__ and "computation_graph" not in cls.__dict__:
            cls.computation_graph = Model.computation_graph

    def __init__(self, *args, name=None, trainable=True, dtype=None, **kwargs):
        if args:
            raise TypeError(f"{type(self).__name__}: unexpected positional arguments {args!r:.80}; a functional "
                            "model takes Model(inputs, outputs)")
        super().__init__(name=name, trainable=trainable, dtype=dtype or "float64", **kwargs)
        self._trainer = None
        self.stop_training = False
        self.history = None
        # During fit: the first epoch, which a callback's on_train_begin may move (Keras' BackupAndRestore).
        self._initial_epoch = None
        self._num_inputs = 1

    # -- structure -------------------------------------------------------------------
    @property
    def input_names(self):
        """Names of the inputs, in order (keys of a dict ``x``)."""
        return [f"input_{i}" for i in range(self._num_inputs)] if self._num_inputs > 1 else ["input"]

    @property
    def output_names(self):
        """Names of the outputs, in order (keys of a dict ``y``, prefixes of per-output logs)."""
        return ["output"]

    @property
    def input_dtypes(self):
        """The dtype each input is cast to."""
        return [self.dtype] * len(self.input_names)

    def arrays_for_forward(self, arrays):
        """The list of input arrays as :meth:`forward` takes them (one array, or a list)."""
        return arrays[0] if len(arrays) == 1 else list(arrays)

    def prepare_inputs(self, inputs):
        """What users pass (array-likes, lists, dicts by input name) as :meth:`forward` takes it."""
        if isinstance(inputs, (list, tuple)) and self._num_inputs == 1 and not self.built and len(inputs) > 1:
            self._num_inputs = len(inputs)
        from_user = _as_input_list(inputs, self.input_names)
        arrays = [np.asarray(a).astype(dtype, copy=False)
                  for a, dtype in zip(from_user, self.input_dtypes, strict=True)]
        self.build_from_inputs(arrays)
        return self.arrays_for_forward(arrays)

    def build_from_inputs(self, arrays):
        """Build the model for these input arrays if it is not built."""
        if not self.built:
            shapes = [(None, *np.shape(a)[1:]) for a in arrays]
            self.build(shapes if len(shapes) > 1 else shapes[0])

    def build(self, input_shape):
        """Create the weights by running :meth:`call` once on zeros of ``input_shape`` (a batch of one).

        Non-trainable state and added losses are restored afterwards.
        """
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        self._num_inputs = len(shapes)
        zeros = [np.zeros(tuple(1 if d is None else d for d in shape), dtype=self.dtype) for shape in shapes]
        self.input_shape = input_shape
        self.built = True
        try:
            state = [w.value.copy() for w in self.non_trainable_weights]
            with backward_follows(False):  # a probe that creates the weights: nothing to record
                self.forward(self.arrays_for_forward(zeros), training=False)
            for w, saved in zip(self.non_trainable_weights, state, strict=True):
                w.value[...] = saved
        except Exception:
            self.built = False
            raise
        finally:
            self._clear_losses()

    def forward(self, inputs, training=False):
        self._clear_losses()
        return super().forward(inputs, training)

    def forward_inference(self, inputs):
        """Outputs of one batch in inference mode, without the caches (what ``predict`` runs)."""
        return self.forward(inputs, training=False)[0]

    def layer_output_sizes(self):
        """Numbers per sample in each layer's output, when known (for the default ``predict`` batch)."""
        return []

    def computation_graph(self):
        """The :class:`~layergraph.framework.graph.Graph` of layer calls that :meth:`forward` runs, or ``None``.

        ``None`` for a model whose forward pass is code (a subclassed model
        with ``call()``). The vectorised numeric gradient walks the graph to
        recompute only what a perturbed weight changes; without one it
        evaluates the whole model for every perturbed copy.
        """
        return None

    def output_activation(self):
        return None

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        """Backward pass where ``grad_z`` is taken before the output layer's activation."""
        return self.backward(grad_z, cache, input_grad=input_grad, preactivation=True)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in :attr:`layers` (one of the two, as in Keras 3).

        Parameters
        ----------
        name : str, optional
            The layer's name.
        index : int, optional
            Its position in :attr:`layers` (negative counts from the end).

        Returns
        -------
        Layer
            ``ValueError`` when no layer has that name or index, or when
            both are given.
        """
        if index is not None and name is not None:
            raise ValueError(f"get_layer: give a layer name or a layer index, not both (got index={index!r}, "
                             f"name={name!r})")
        if index is not None:
            layers = self.layers
            if not isinstance(index, (int, np.integer)) or isinstance(index, bool) \
                    or not -len(layers) <= index < len(layers):
                raise ValueError(f"Model {self.name!r}: no layer at index {index!r}; it has {len(layers)} layers")
            return layers[index]
        if name is None:
            raise ValueError("get_layer: give a name or an index")
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r} in model {self.name!r}; "
                         f"layers: {[layer.name for layer in self.layers]}")

    # -- training ------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, gradient="analytic",
                seed=None):
        """Configure training (Keras' ``compile``).

        Parameters
        ----------
        optimizer : str or Optimizer, default "rmsprop"
            ``"sgd"``, ``"adam"``, ... or an instance; ``"lbfgs"`` or a
            :class:`~layergraph.optimizers.ScipyOptimizer` trains full-batch
            with scipy.
        loss : str, Loss or callable, or a list or dict of them
            What ``fit`` minimises: a name (``"mse"``,
            ``"binary_crossentropy"``...), a :class:`~layergraph.losses.Loss`
            or ``fn(y_true, y_pred)``; for several outputs one per output, in
            output order or keyed by output name. Required.
        loss_weights : list or dict, optional
            Weight of each output's loss in the total (default 1 each).
        metrics : list or dict, optional
            E.g. ``["accuracy"]``; per output a list of lists or a dict.
        gradient : {"analytic", "numeric"} or GradientStrategy, default "analytic"
            How gradients are computed: backpropagation, or central
            differences (two forward passes per weight element); the trainer
            injects it (see :mod:`layergraph.gradients`).
        seed : int, optional
            Seed of the shuffling in ``fit`` (default: unseeded).

        Example
        -------
        >>> import layergraph as lg
        >>> model = lg.Sequential([lg.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
        >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        >>> model.metrics_names
        ['loss', 'accuracy']
        """
        trainer_class = ScipyTrainer if ScipyTrainer.accepts(optimizer) else Trainer
        self._trainer = trainer_class(self, loss, optimizer, gradient, metrics, seed, loss_weights)

    def _require_compiled(self, what):
        if self._trainer is None:
            raise RuntimeError(f"Model {self.name!r} must be compiled before {what}(); call model.compile(...)")
        return self._trainer

    @property
    def trainer(self):
        """The :class:`Trainer` made by :meth:`compile` (``None`` before)."""
        return self._trainer

    @property
    def optimizer(self):
        """The :class:`~layergraph.optimizers.Optimizer` given to :meth:`compile` (``None`` before)."""
        return self._trainer.optimizer if self._trainer else None

    @property
    def loss(self):
        """The compiled loss (a list for several outputs; ``None`` before :meth:`compile`)."""
        return self._trainer.loss if self._trainer else None

    @property
    def metrics_names(self):
        """The keys of ``evaluate``'s results, in order."""
        return self._trainer.metrics_names if self._trainer else []

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_batch_size=None, validation_freq=1):
        """Train the model for ``epochs`` passes over the data (Keras' arguments and semantics).

        Parameters
        ----------
        x : array-like, or a list or dict of them
            Inputs ``(n, *input_shape)``; for several inputs a list in input
            order or a dict keyed by input name.
        y : array-like, or a list or dict of them
            Targets, one row per sample (integer class labels or one-hot
            rows, as the loss expects); per output for several outputs.
        batch_size : int, optional
            Samples per update (default 32).
        epochs : int, default 1
            Index of the last epoch: training runs epochs ``initial_epoch``
            to ``epochs - 1``.
        verbose : {"auto", 0, 1, 2}, default "auto"
            0: silent; 1 (``"auto"``): a progress bar; 2: one line per epoch.
        callbacks : list of Callback, optional
            Called at the start and end of training, epochs and batches
            (see :mod:`layergraph.callbacks`).
        validation_split : float, default 0.0
            Fraction of the samples, taken from the *end* of the data
            before shuffling, held out and evaluated after each epoch.
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``,
            evaluated after each epoch; takes precedence over
            ``validation_split``.
        shuffle : bool, default True
            Visit the samples in a new order each epoch.
        class_weight : dict, optional
            ``{class index: weight}``, multiplying each sample's loss by the
            weight of its class.
        sample_weight : array-like, optional
            ``(n,)`` weights of the samples' losses (per output: a list or dict).
        initial_epoch : int, default 0
            The epoch to start at (to resume a run).
        steps_per_epoch : int, optional
            Batches per epoch, drawn from a stream of shuffled passes over
            the data (default: one pass).
        validation_batch_size : int, optional
            Batch size of the validation pass (default ``batch_size``).
        validation_freq : int, default 1
            Validate after every ``validation_freq``-th epoch.

        Returns
        -------
        History
            ``history.history`` maps ``"loss"``, each metric and their
            ``"val_"`` counterparts to one value per epoch.

        Notes
        -----
        Before the first update every array is checked (shapes, labels
        against the loss); a non-finite loss stops training and restores
        the weights from before the update that produced it (see
        :class:`~layergraph.Trainer`).

        Example
        -------
        >>> import numpy as np, layergraph as lg
        >>> x = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = np.array([0., 1., 1., 1.])
        >>> model = lg.Sequential([lg.layers.Dense(1, activation="sigmoid", input_shape=(2,), seed=0)])
        >>> model.compile(optimizer=lg.optimizers.SGD(1.0), loss="binary_crossentropy", metrics=["accuracy"])
        >>> history = model.fit(x, y, epochs=200, batch_size=4, verbose=0)
        >>> sorted(history.history), len(history.history["loss"]), history.history["accuracy"][-1]
        (['accuracy', 'loss'], 200, 1.0)
        """
        return self._require_compiled("fit").fit(
            x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, validation_data=validation_data, shuffle=shuffle,
            class_weight=class_weight, sample_weight=sample_weight, initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch, validation_batch_size=validation_batch_size,
            validation_freq=validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics on all of ``x``, computed in inference mode.

        Parameters
        ----------
        x : array-like, or a list or dict of them
            Inputs, as for :meth:`fit`.
        y : array-like, or a list or dict of them
            Targets, as for :meth:`fit`.
        batch_size : int, optional
            Samples per forward pass (default: chosen for the model; the
            results do not depend on it).
        verbose : {"auto", 0, 1, 2}, default "auto"
            ``"auto"`` and 0 are silent; 1 and 2 show progress.
        sample_weight : array-like, optional
            ``(n,)`` weights of the samples' losses.
        steps : int, optional
            Evaluate only the first ``steps`` batches.
        callbacks : list of Callback, optional
            Their ``on_test_*`` hooks are called.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a list.

        Returns
        -------
        float, list of float or dict
            The loss alone when nothing else is measured, else
            ``[loss, *metrics]`` in :attr:`metrics_names` order. The loss
            includes weight penalties and added losses, as in training.

        Example
        -------
        >>> import numpy as np, layergraph as lg
        >>> model = lg.Sequential([lg.layers.Dense(1, kernel_initializer="zeros", input_shape=(2,))])
        >>> model.compile(loss="mse", metrics=["mae"])
        >>> model.evaluate(np.ones((4, 2)), np.full(4, 2.0), return_dict=True)
        {'loss': 4.0, 'mae': 2.0}
        """
        verbose = 0 if verbose == "auto" else verbose
        logs = self._require_compiled("evaluate").evaluate(x, y, batch_size=batch_size, verbose=verbose,
                                                           sample_weight=sample_weight, steps=steps,
                                                           callbacks=callbacks)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` in inference mode (dropout off, batch norm on its moving statistics).

        Parameters
        ----------
        x : array-like, or a list or dict of them
            Inputs ``(n, *input_shape)``, as for :meth:`fit`.
        batch_size : int, optional
            Samples per forward pass (default: chosen for the model's size;
            the outputs do not depend on it).
        verbose : {"auto", 0, 1, 2}, default "auto"
            1 shows a progress bar; ``"auto"``, 0 and 2 are silent here.
        steps : int, optional
            Predict only the first ``steps`` batches.
        callbacks : list of Callback, optional
            Their ``on_predict_*`` hooks are called.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            ``(n, *output_shape)``; a list for several outputs.

        Example
        -------
        >>> import numpy as np, layergraph as lg
        >>> model = lg.Sequential([lg.layers.Dense(2, kernel_initializer="ones", input_shape=(3,))])
        >>> model.predict(np.ones((5, 3))).shape
        (5, 2)
        """
        return predict_arrays(self, x, batch_size, verbose=verbose, steps=steps, callbacks=callbacks)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; the loss (and metrics) measured before the step.

        Parameters
        ----------
        x : array-like, or a list or dict of them
            The batch's inputs.
        y : array-like, or a list or dict of them
            The batch's targets.
        sample_weight : array-like, optional
            ``(n,)`` weights of the samples' losses.
        class_weight : dict, optional
            ``{class index: weight}``.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or list.

        Returns
        -------
        float, list of float or dict
            As :meth:`evaluate`. ``FloatingPointError`` (weights unchanged)
            when the loss or a gradient is not finite.
        """
        logs = self._require_compiled("train_on_batch").train_on_batch(x, y, sample_weight, class_weight)
        return _results(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch in inference mode.

        Parameters
        ----------
        x : array-like, or a list or dict of them
            The batch's inputs.
        y : array-like, or a list or dict of them
            The batch's targets.
        sample_weight : array-like, optional
            ``(n,)`` weights of the samples' losses.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or list.

        Returns
        -------
        float, list of float or dict
            As :meth:`evaluate`.
        """
        logs = self._require_compiled("test_on_batch").test_on_batch(x, y, sample_weight)
        return _results(logs, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch, in inference mode (one forward pass).

        Parameters
        ----------
        x : array-like, or a list or dict of them
            The batch's inputs.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            As :meth:`predict`.
        """
        return predict_arrays(self, x, batch_size=max(1, len(_as_input_list(x, self.input_names)[0])))

    # -- saving --------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Write architecture, weights and (when compiled) training state to one file, atomically.

        The file is a zip archive of JSON and ``.npy`` arrays (never a
        pickle); :func:`layergraph.load_model` reads it back.

        Parameters
        ----------
        filepath : str or path-like
            Where to write (conventionally ``*.lg``).
        overwrite : bool, default True
            When false, an existing file raises ``FileExistsError``.
        include_optimizer : bool, default True
            Save the compile configuration and optimizer state too, so
            that training resumes where it stopped.

        Example
        -------
        >>> import os, tempfile, numpy as np, layergraph as lg
        >>> model = lg.Sequential([lg.layers.Dense(2, input_shape=(3,), seed=0)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.lg")
        >>> model.save(path)
        >>> x = np.ones((1, 3))
        >>> np.array_equal(lg.load_model(path).predict(x), model.predict(x))
        True
        """
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights (in :attr:`weights` order, shape-checked on loading), atomically.

        When the model is compiled, the file also holds its training state
        (optimizer state, step count, learning rate, shuffling), as Keras 3's
        weights files do.

        Parameters
        ----------
        filepath : str or path-like
            Where to write.
        overwrite : bool, default True
            When false, an existing file raises ``FileExistsError``.
        """
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        """Read weights written by :meth:`save_weights` (or a full model file) into this model.

        A compiled model with the same optimizer class also gets the training
        state back.

        Parameters
        ----------
        filepath : str or path-like
            The file; every shape is checked before any weight changes.
        """
        saving.load_weights(self, filepath)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``layergraph.models.model_from_json`` rebuilds it).

        Parameters
        ----------
        **kwargs
            Passed to :func:`json.dumps` (e.g. ``indent=2``).
        """
        return json.dumps(saving.serialize_model(self), **kwargs)

    def get_compile_config(self):
        """The configuration :meth:`compile` was called with (JSON-able), or ``None``."""
        return self._trainer.get_config() if self._trainer is not None else None

    def compile_from_config(self, config, custom_objects=None):
        """Compile as :meth:`get_compile_config` describes.

        Parameters
        ----------
        config : dict
            What :meth:`get_compile_config` returned.
        custom_objects : dict, optional
            User classes and functions the config names (losses, metrics...).
        """
        saving.compile_from_config(self, config, custom_objects)

    # -- summary -------------------------------------------------------------------------
    def summary(self, print_fn=print, line_length=None):
        """Print a Keras-style table: each layer, its output shape and parameter count, then the totals.

        Functional models add each layer's inputs (``Connected to``).

        Parameters
        ----------
        print_fn : callable, default print
            Called once with the whole table as a string.
        line_length : int, optional
            Accepted for Keras compatibility; the columns fit their contents.

        Example
        -------
        >>> import layergraph as lg
        >>> lg.utils.clear_session()
        >>> lg.Sequential([lg.layers.Dense(4, input_shape=(3,)), lg.layers.Dense(1)], name="tiny").summary()
        Model: "tiny"
        --------------------------------------
        Layer (type)     Output Shape  Param #
        ======================================
        dense (Dense)    (None, 4)     16
        dense_1 (Dense)  (None, 1)     5
        ======================================
        Total params: 21 (168.00 B)
        Trainable params: 21 (168.00 B)
        Non-trainable params: 0 (0.00 B)
        """
        rows = self._summary_rows()
        connected = any(len(r) > 3 for r in rows)
        headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
        rows = [list(r) + [""] * (len(headers) - len(r)) for r in rows]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        rule = sum(widths) + 2 * (len(widths) - 1)
        out = [f'Model: "{self.name}"', "-" * rule, line.format(*headers), "=" * rule]
        out += [line.format(*r).rstrip() for r in rows]
        total = sum(w.value.size for w in self.weights)
        trainable = sum(w.value.size for w in self.trainable_weights)
        bytes_ = sum(w.value.nbytes for w in self.weights)
        train_bytes = sum(w.value.nbytes for w in self.trainable_weights)
        out += ["=" * rule, f"Total params: {total:,} ({_size(bytes_)})",
                f"Trainable params: {trainable:,} ({_size(train_bytes)})",
                f"Non-trainable params: {total - trainable:,} ({_size(bytes_ - train_bytes)})"]
        if not self.built:
            out.insert(4, "(the model is not built yet: output shapes and weights appear once it has seen data)")
        print_fn("\n".join(out))

    def _summary_rows(self):
        return [(f"{layer.name} ({type(layer).__name__})", "?", f"{layer.count_params():,}") for layer in self.layers]

    # -- config ----------------------------------------------------------------------------
    def get_config(self):
        """A subclassed model's constructor arguments; subclasses with arguments must define it (as in Keras)."""
        own = _defined_below_model(type(self))
        if "get_config" not in own and "__init__" in own:
            raise NotImplementedError(
                f"Model {self.name!r} ({type(self).__name__}) is a subclassed model without get_config(): "
                f"implement get_config() and from_config() to save the whole model, or save its weights only with "
                f"model.save_weights(path)")
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model from :meth:`get_config`: ``keras.Model.from_config`` rebuilds a functional model from a
        functional config (``"layers"``, ``"input_layers"``, ``"output_layers"``), as in Keras; a subclassed
        model is ``cls(**config)``."""
        if cls is Model and {"layers", "input_layers", "output_layers"} <= set(config):
            return _FUNCTIONAL[0].from_config(config, custom_objects)
        with custom_object_scope(custom_objects or {}):
            return cls(**config)


def _defined_below_model(cls):
    """Attribute names defined by ``cls`` and its bases below :class:`Model`."""
    names = set()
    for klass in cls.__mro__:
        if klass is Model:
            break
        names.update(klass.__dict__)
    return names


def _as_input_list(value, names):
    if isinstance(value, dict):
        missing = [name for name in names if name not in value]
        if missing:
            raise ValueError(f"x: missing entries for {missing}; the model expects {names}")
        return [value[name] for name in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"x: expected {len(names)} arrays (one for each of {names}), got {len(value)}")
        return list(value)
    return [value]


def _results(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _size(nbytes):
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
