"""Greedy layer-wise pretraining: :class:`DBN`, RBMs stacked, each trained on the frozen one below.

Hinton, Osindero & Teh (2006); Hinton & Salakhutdinov (2006). RBM 1 learns the data, then is
frozen; RBM 2 learns RBM 1's hidden activations, and so on. The stack's weights then start a
feed-forward network (:meth:`DBN.weights`, :meth:`DBN.to_torch`) that is fine-tuned with labels.
"""

from __future__ import annotations

import itertools
import numbers
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import _dbn_file, _diagnostics
from ._diagnostics import DeadUnitsWarning
from ._locking import LockedModel, serialized
from ._model_file import open_archive
from ._params import INT64_MAX, check_int, check_n_jobs
from ._random import RandomStateLike, check_random_state_param, make_key
from ._rollback import rollback_on_error
from ._validation import engine_data, output_dtype
from .rbm import RBM, default_learning_rate

__all__ = ["DBN", "DeadUnitsWarning", "default_learning_rate"]

# Set by the DBN itself for every layer; per-layer dictionaries may not override them.
_RESERVED = ("n_visible", "n_hidden", "visible", "random_state", "n_jobs", "verbose")


class DBN(LockedModel, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Deep belief network: greedy layer-wise pretraining of a stack of RBMs.

    ``fit`` trains RBM 1 on X, freezes it, trains RBM 2 on RBM 1's hidden activations, and so on
    up the stack; a trained layer is never changed again. The result is a feature extractor
    (``transform`` gives the top layer's activations) and, above all, a start for a
    feed-forward network: :meth:`weights` exports ``(W, b)`` pairs for ``sigmoid(x @ W + b)``,
    :meth:`to_torch` builds the PyTorch network directly.

    Parameters
    ----------
    layer_sizes : sequence of int, default=(784, 500, 500, 2000)
        Units per layer, visible first: ``(784, 500, 500, 2000)`` is three RBMs
        784→500, 500→500, 500→2000 (Hinton & Salakhutdinov 2006). The first entry may be
        ``None`` to take it from the data at ``fit``.
    rbm_params : dict, optional
        :class:`~fastinit.RBM` parameters shared by all layers, e.g.
        ``{"n_iter": 10, "k": 1, "batch_size": 100}``. Without a ``learning_rate`` (or with
        ``"auto"``) each layer gets :func:`default_learning_rate`: the RBM's default (0.1 for
        Bernoulli, 0.01 for Gaussian visible units) scaled down for wide layers,
        ``base * min(1, 500 / n_hidden) * min(1, 1000 / n_visible)`` — 0.1, 0.1 and 0.025 for
        the default 784-500-500-2000 (see Notes). A number given here is used for every layer
        as is.
    layer_params : sequence of dict or None, optional
        One entry per RBM (``len(layer_sizes) - 1``) overriding ``rbm_params`` for that layer;
        ``None`` entries keep the shared parameters, e.g.
        ``layer_params=[None, None, {"learning_rate": 0.01}]``. ``n_visible``, ``n_hidden``,
        ``visible``, ``random_state``, ``n_jobs`` and ``verbose`` are set by the DBN and cannot
        be given in either dictionary.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        Visible units of the first RBM: Bernoulli for data in [0, 1], Gaussian for
        standardized real values. Upper RBMs see probabilities and are always Bernoulli.
    propagate : {"mean", "sample"}, default="mean"
        What an upper RBM is trained on: the hidden probabilities of the layer below ("mean",
        the usual choice, Hinton 2010) or binary states sampled from them ("sample", with a
        generator seeded from ``random_state``). ``transform`` always uses probabilities.
    n_jobs : int or None, default=None
        Threads of every RBM: ``None`` uses every usable core, negative values count back;
        ``|n_jobs|`` is at most 65536 (see :class:`~fastinit.RBM`).
    random_state : None, int, RandomState or Generator, default=None
        Seeds the whole stack: each RBM gets its own seed, derived deterministically from this
        one and its layer index, so layer ``i`` of two stacks with the same seed and lower
        layers is the same whatever sits above it.
    verbose : int, default=0
        Report the layer being trained and, per layer, each epoch (see :class:`~fastinit.RBM`).

    Attributes
    ----------
    rbms_ : list of RBM
        The fitted RBMs, bottom first; ``rbms_[i].learning_rate`` is the rate layer ``i``
        trained with.
    mean_activation_ : list of ndarray
        Per layer, the mean hidden probability of each unit over the data the layer was trained
        on (float64, shape ``(layer_sizes_[i + 1],)``). ``fit`` warns (:class:`DeadUnitsWarning`)
        when more than 10 % of a layer's units are dead (mean < 0.01) or saturated (> 0.99).
    history_ : list of dict
        ``rbms_[i].history_`` for each layer.
    layer_sizes_ : tuple of int
        ``layer_sizes`` with the first entry resolved.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined only when X has string column names.

    See Also
    --------
    fastinit.RBM : one layer.
    fastinit.torch.to_torch : the PyTorch network started from a DBN.

    Notes
    -----
    Threads: ``fit`` and ``save`` hold a per-model lock, so that from several threads they run
    on one DBN one after another (each fit then leaves a consistent stack); ``transform`` and
    the other reading calls take none (see :class:`~fastinit.RBM`).

    Why wide layers get a smaller default learning rate. With one rate of 0.1 for every layer,
    the default 784-500-500-2000 on MNIST-5k ended with 1,966 of the top layer's 2,000 units
    dead (1,929 on 10,000 Fashion-MNIST images). Tracking single RBMs per mini-batch on MNIST-5k
    showed how: units start alike (weights N(0, 0.01²), every ``h`` near 0.5), so their updates
    point the same way and add up in every sum over a layer. A visible unit's input in the
    reconstruction sums over the ``n_hidden`` units: the first updates of a 784 -> 2000 RBM at
    0.1 moved it by 4.3 on average (0.3 with 500 hidden units), the reconstruction overshot the
    data, the next updates pushed every hidden unit's input down by 2.3, and after 7
    mini-batches, still at momentum 0.5, all units were off for good (their gradient is
    proportional to ``h``). Neither hidden-bias drift (mean bias -0.2) nor the momentum
    switch was the cause. The same happens through a hidden unit's input, a sum over the
    ``n_visible`` inputs: 2000 -> 500 at 0.1 lost 48 % of its units in the first epoch.
    Over RBMs of 250-2000 hidden units on inputs of 500-2000 units (MNIST-5k pixels and trained
    layers' activations), 0.1 was safe up to 500 hidden units and 1000 inputs, and the largest
    safe rate about halved whenever either width doubled beyond that; hence the default, which
    is exactly 0.1 for layers within those widths. At the default, no layer of that grid had
    more than 3 % of its units dead or saturated, on MNIST-5k or Fashion-MNIST; at twice the
    default, 4 of its 12 layers on MNIST-5k and 1 of 12 on Fashion-MNIST had more than 10 %.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastinit import DBN
    >>> X = load_digits().data / 16.0
    >>> dbn = DBN((64, 32, 16), rbm_params={"n_iter": 5}, random_state=0).fit(X)
    >>> dbn.transform(X).shape
    (1797, 16)
    >>> [W.shape for W, b in dbn.weights()]
    [(64, 32), (32, 16)]
    >>> [rbm.learning_rate for rbm in dbn.rbms_]  # default_learning_rate of each layer
    [0.1, 0.1]
    """

    def __init__(
        self,
        layer_sizes: Sequence[int | None] = (784, 500, 500, 2000),
        *,
        rbm_params: Mapping[str, Any] | None = None,
        layer_params: Sequence[Mapping[str, Any] | None] | None = None,
        visible: str = "bernoulli",
        propagate: str = "mean",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: int = 0,
    ) -> None:
        self.layer_sizes = layer_sizes
        self.rbm_params = rbm_params
        self.layer_params = layer_params
        self.visible = visible
        self.propagate = propagate
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation

    def _check_layer_sizes(self) -> list[int | None]:
        sizes = self.layer_sizes
        if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
            raise TypeError(f"layer_sizes must be a sequence of ints, got {sizes!r}")
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(
                f"layer_sizes needs at least 2 entries (visible and one hidden layer), got {sizes}"
            )
        for i, size in enumerate(sizes):
            if i == 0 and size is None:
                continue
            if (
                not isinstance(size, numbers.Integral)
                or isinstance(size, bool)
                or not 1 <= size <= INT64_MAX
            ):
                raise ValueError(
                    f"layer_sizes must hold positive ints up to 2**63 - 1 (the first may be None), "
                    f"got {size!r} at position {i} of {sizes}"
                )
        return [None if s is None else int(s) for s in sizes]

    def _layer_rbm_params(self, n_layers: int) -> list[dict[str, Any]]:
        shared = self._check_param_dict(self.rbm_params, "rbm_params")
        overrides = self.layer_params
        if overrides is None:
            overrides = [None] * n_layers
        elif isinstance(overrides, Mapping) or not isinstance(overrides, Sequence):
            raise TypeError(
                "layer_params must be a list with one dict (or None) per RBM, got "
                f"{type(overrides).__name__}"
            )
        if len(overrides) != n_layers:
            raise ValueError(
                f"layer_params has {len(overrides)} entries but layer_sizes defines {n_layers} "
                "RBMs (len(layer_sizes) - 1)"
            )
        return [
            {**shared, **self._check_param_dict(over, f"layer_params[{i}]")}
            for i, over in enumerate(overrides)
        ]

    @staticmethod
    def _check_param_dict(params: Mapping[str, Any] | None, name: str) -> dict[str, Any]:
        if params is None:
            return {}
        if not isinstance(params, Mapping):
            raise TypeError(f"{name} must be a dict of RBM parameters, got {type(params).__name__}")
        valid = set(RBM().get_params())
        for key in params:
            if key in _RESERVED:
                raise ValueError(
                    f"{name} may not set {key!r}: the DBN sets it for every layer "
                    f"(use the DBN's own {'layer_sizes' if key.startswith('n_') else key})"
                )
            if key not in valid:
                raise ValueError(
                    f"{name} has an unknown RBM parameter {key!r}; valid ones are "
                    f"{sorted(valid - set(_RESERVED))}"
                )
        return dict(params)

    def _check_params(self, method: str = "fit") -> tuple[list[int | None], list[dict[str, Any]]]:
        """Validate every parameter, the layers' RBM parameters included, before any training:
        a bad setting of the top layer fails before the bottom one is trained."""
        caller = f"{type(self).__name__}.{method}"
        sizes = self._check_layer_sizes()
        if not (isinstance(self.visible, str) and self.visible in ("bernoulli", "gaussian")):
            raise ValueError(f"visible must be 'bernoulli' or 'gaussian', got {self.visible!r}")
        if not (isinstance(self.propagate, str) and self.propagate in ("mean", "sample")):
            raise ValueError(f"propagate must be 'mean' or 'sample', got {self.propagate!r}")
        check_int(self.verbose, "verbose", caller=caller, low=0, allow_bool=True)
        check_n_jobs(self.n_jobs, caller)
        check_random_state_param(self.random_state, caller)
        params = self._layer_rbm_params(len(sizes) - 1)
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            try:
                self._layer_rbm(i, n_in, n_out, params[i], seed=0)._check_params(method)
            except (TypeError, ValueError) as exc:
                where = f"layer {i} (rbm_params or layer_params[{i}])"
                raise type(exc)(f"{caller}: {where}: {exc}") from None
        return sizes, params

    def _layer_rbm(
        self, i: int, n_in: int | None, n_out: int, params: dict[str, Any], seed: int
    ) -> RBM:
        """RBM ``i`` of the stack (unfitted), with the rate of the width rule when "auto"."""
        visible = self.visible if i == 0 else "bernoulli"
        layer = dict(params)
        if _is_auto(layer.get("learning_rate", "auto")) and n_in is not None:
            layer["learning_rate"] = default_learning_rate(n_in, n_out, visible)
        return RBM(n_in, n_out, **layer, visible=visible, random_state=seed,
                   n_jobs=self.n_jobs, verbose=self.verbose)  # fmt: skip

    # ------------------------------------------------------------------ training

    @serialized
    def fit(self, X: Any, y: Any = None) -> DBN:
        """Pretrain the stack greedily, bottom layer first.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; in [0, 1] for Bernoulli visible units (float, bool or uint8 {0, 1}).
        y : ignored

        Returns
        -------
        self : DBN

        Raises
        ------
        ValueError, TypeError
            A parameter of the DBN or of any layer out of its range or of the wrong type
            (checked before the first layer trains), or data the stack cannot train on. A
            refused, failed or interrupted (Ctrl-C) fit leaves every attribute as it was.

        Warns
        -----
        DeadUnitsWarning
            After each layer whose dead (mean activation < 0.01 over its training data) and
            saturated (> 0.99) hidden units exceed 10 % of its units; the message names the
            layer, its learning rate and what to change.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import DBN
        >>> X = np.random.default_rng(0).random((200, 20))
        >>> dbn = DBN((None, 8, 4), rbm_params={"n_iter": 2}, random_state=0).fit(X)
        >>> dbn.layer_sizes_
        (20, 8, 4)
        """
        sizes, params = self._check_params("fit")
        # The stack replaces its layers only when all have trained; until then any failure, or
        # Ctrl-C, puts back n_features_in_, feature_names_in_ and the random generator too.
        with rollback_on_error(self, interrupts=True):
            self._fit_layers(X, sizes, params)
        return self

    def _fit_layers(self, X: Any, sizes: list[int | None], params: list[dict[str, Any]]) -> None:
        X = engine_data(self, X, "fit", fitting=True, reset=True, ensure_min_samples=1)
        if sizes[0] is not None and X.shape[1] != sizes[0]:
            raise ValueError(
                f"X has {X.shape[1]} features, but layer_sizes[0] is {sizes[0]}; pass data with "
                f"{sizes[0]} columns, or set layer_sizes[0] to None to take it from the data"
            )
        sizes[0] = X.shape[1]
        seeds = self._layer_seeds(len(sizes) - 1)
        rbms: list[RBM] = []
        activations: list[np.ndarray] = []
        data = X
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            if self.verbose:
                print(
                    f"DBN layer {i + 1}/{len(sizes) - 1}: RBM {n_in} -> {n_out}",
                    file=sys.stderr,
                    flush=True,
                )
            rbm = self._layer_rbm(i, n_in, n_out, params[i], seed=int(seeds[i]))
            with warnings.catch_warnings():
                # The DBN reports stuck units itself, naming the layer (_warn_if_stuck).
                warnings.simplefilter("ignore", DeadUnitsWarning)
                rbm.fit(data)
            rbms.append(rbm)
            if i < len(sizes) - 2:
                # The next RBM learns from this one's output; this one is never touched again.
                mean, data = self._propagate(rbm, data, i)
            else:
                mean = _diagnostics.mean_activation(rbm, data)
            activations.append(mean)
            self._warn_if_stuck(i, sizes, rbm, mean)
        self.rbms_ = rbms
        self.layer_sizes_ = tuple(sizes)
        self.history_ = [rbm.history_ for rbm in rbms]
        self.mean_activation_ = activations

    def _warn_if_stuck(self, i: int, sizes: Sequence[int], rbm: RBM, mean: np.ndarray) -> None:
        n_layers = len(sizes) - 1
        rate = rbm.learning_rate
        own = (self.layer_params or [None] * n_layers)[i] or {}
        if not _is_auto(own.get("learning_rate", "auto")):
            source = f"set by layer_params[{i}]"
        elif not _is_auto((self.rbm_params or {}).get("learning_rate", "auto")):
            source = "set by rbm_params for every layer"
        else:
            source = "the default for its width"
        suggested = _suggested_learning_rate(rbm)
        if self.layer_params is None:
            entries = ["None"] * n_layers
            entries[i] = f"{{'learning_rate': {suggested:g}}}"
            example = f"layer_params=[{', '.join(entries)}]"
        else:
            example = f"'learning_rate': {suggested:g} in layer_params[{i}]"
        advice = (
            f"Lower this layer's learning rate, now {rate:g} ({source}), e.g. {example}, or "
            "give it fewer hidden units."
        )
        if i == 0 and rbm.visible == "gaussian":
            advice += " Gaussian visible units also need standardized data (mean 0, variance 1)."
        message = _diagnostics.stuck_units_message(
            mean,
            layer=f"DBN layer {i + 1} of {n_layers} (RBM {sizes[i]} -> {sizes[i + 1]})",
            advice=advice,
            dead_threshold=_diagnostics.dead_below(rbm.sparsity_target),
        )
        if message is not None:
            warnings.warn(message, DeadUnitsWarning, stacklevel=3)

    def _layer_seeds(self, n_layers: int) -> np.ndarray:
        self._key = make_key(self.random_state)
        # Seed of layer i depends on the key and i only, not on how many layers sit above.
        return np.array(
            [
                np.random.SeedSequence([self._key & 0xFFFFFFFF, self._key >> 32, i]).generate_state(
                    1
                )[0]
                for i in range(n_layers)
            ],
            dtype=np.uint32,
        )

    def _propagate(self, rbm: RBM, data: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """``(mean activation per unit, the next layer's training data)``."""
        H = rbm._hidden_probabilities(data)  # float32, whatever the input's dtype
        mean = H.mean(axis=0, dtype=np.float64)
        if self.propagate == "sample":
            # A stream of its own per layer (word 2**32 - 1 never collides with a layer seed).
            rng = np.random.default_rng(
                [self._key & 0xFFFFFFFF, self._key >> 32, layer, 0xFFFFFFFF]
            )
            H = (rng.random(H.shape, dtype=np.float32) < H).astype(np.float32)
        return mean, H

    # ------------------------------------------------------------------ inference

    def transform(self, X: Any) -> np.ndarray:
        """Top-layer hidden probabilities, propagated up the stack with mean-field activations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, layer_sizes_[-1])
            float32 for float32 input, else float64 (scikit-learn's rule; computed in float32).

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import DBN
        >>> X = np.random.default_rng(0).random((100, 12))
        >>> DBN((12, 6, 3), rbm_params={"n_iter": 1}, random_state=0).fit(X).transform(X).shape
        (100, 3)
        """
        X = self._checked_input(X, "transform")
        return self._layer_probabilities(X)[-1].astype(output_dtype(X), copy=False)

    def transform_layers(self, X: Any) -> list[np.ndarray]:
        """Hidden probabilities of every layer, bottom first.

        Returns
        -------
        list of ndarray
            ``len(rbms_)`` arrays of shape ``(n_samples, layer_sizes_[i + 1])``, of the dtype
            :meth:`transform` returns.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import DBN
        >>> X = np.random.default_rng(0).random((50, 12))
        >>> dbn = DBN((12, 6, 3), rbm_params={"n_iter": 1}, random_state=0).fit(X)
        >>> [H.shape for H in dbn.transform_layers(X)]
        [(50, 6), (50, 3)]
        """
        X = self._checked_input(X, "transform_layers")
        return [H.astype(output_dtype(X), copy=False) for H in self._layer_probabilities(X)]

    def _checked_input(self, X: Any, caller: str) -> Any:
        check_is_fitted(self, "rbms_")
        return engine_data(self, X, caller, fitting=False)

    def _layer_probabilities(self, X: Any) -> list[np.ndarray]:
        """Every layer's hidden probabilities of validated X, float32 (the next layer's input)."""
        out = []
        for rbm in self.rbms_:
            X = rbm._hidden_probabilities(X)
            out.append(X)
        return out

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The stack as framework-neutral dense layers: ``[(W, b), ...]`` for ``x @ W + b``.

        Layer ``i`` computes ``h = sigmoid(x @ W + b)`` with ``W = rbms_[i].components_.T`` of
        shape ``(n_in, n_out)`` and ``b = rbms_[i].intercept_hidden_`` of shape ``(n_out,)``,
        both float32 copies. Chaining the layers reproduces :meth:`transform`. Loading them:

        * Keras: ``Dense(n_out, activation="sigmoid")`` then ``layer.set_weights([W, b])``
          (Keras kernels are ``(n_in, n_out)`` already);
        * JAX / Flax: ``h = jax.nn.sigmoid(x @ W + b)``, or ``{"kernel": W, "bias": b}`` as a
          ``flax.linen.Dense`` parameter dictionary;
        * PyTorch: ``linear = torch.nn.Linear(n_in, n_out)``,
          ``linear.weight.data = torch.from_numpy(W.T.copy())``,
          ``linear.bias.data = torch.from_numpy(b)`` — or simply :meth:`to_torch`, or
          :func:`fastinit.torch.load_pretrained_` for an existing model.

        Returns
        -------
        list of (ndarray, ndarray)
            One ``(W, b)`` pair per RBM, bottom first.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import DBN
        >>> X = np.random.default_rng(0).random((100, 12))
        >>> dbn = DBN((12, 6, 3), rbm_params={"n_iter": 1}, random_state=0).fit(X)
        >>> h = X.astype(np.float32)
        >>> for W, b in dbn.weights():
        ...     h = 1 / (1 + np.exp(-(h @ W + b)))
        >>> bool(np.allclose(h, dbn.transform(X), atol=1e-5))
        True
        """
        check_is_fitted(self, "rbms_")
        return [
            (np.ascontiguousarray(rbm.components_.T), rbm.intercept_hidden_.copy())
            for rbm in self.rbms_
        ]

    def to_torch(self, n_outputs: int | None = None, activation: Any = "sigmoid", **kwargs: Any):
        """A ``torch.nn.Sequential`` with the stack's weights; see :func:`fastinit.torch.to_torch`.

        Imports torch (and :mod:`fastinit.torch`) only when called.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import DBN
        >>> X = np.random.default_rng(0).random((100, 12))
        >>> dbn = DBN((12, 6, 3), rbm_params={"n_iter": 1}, random_state=0).fit(X)
        >>> dbn.to_torch(n_outputs=10)  # doctest: +SKIP
        Sequential(
          (fc1): Linear(in_features=12, out_features=6, bias=True)
          (act1): Sigmoid()
          (fc2): Linear(in_features=6, out_features=3, bias=True)
          (act2): Sigmoid()
          (out): Linear(in_features=3, out_features=10, bias=True)
        )
        """
        from .torch import to_torch

        return to_torch(self, n_outputs=n_outputs, activation=activation, **kwargs)

    # ------------------------------------------------------------------ persistence

    @serialized
    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the fitted stack to an ``.npz`` file (no pickle).

        Each layer is stored in :class:`~fastinit.RBM`'s own file format (complete training
        state included), next to the DBN's parameters and a format version.

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> from fastinit import DBN
        >>> X = np.random.default_rng(0).random((100, 12))
        >>> dbn = DBN((12, 6, 3), rbm_params={"n_iter": 1}, random_state=0).fit(X)
        >>> path = os.path.join(tempfile.mkdtemp(), "dbn.npz")
        >>> dbn.save(path)
        >>> bool(np.array_equal(DBN.load(path).transform(X), dbn.transform(X)))
        True
        """
        check_is_fitted(self, "rbms_")
        _dbn_file.write_dbn(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DBN:
        """Load a stack written by :meth:`save`.

        Nothing in the file is trusted: its metadata must be consistent (``n_layers`` and
        ``n_features_in_`` with ``layer_sizes_``, which must agree with the parameter
        ``layer_sizes``), each layer must be a valid :class:`~fastinit.RBM` file of the shape
        its place in the stack implies (checked before its arrays are read, as in
        :meth:`RBM.load <fastinit.RBM.load>`), and the whole may declare no more data than the
        file holds. No pickle is ever executed.

        Raises
        ------
        FileNotFoundError
            Missing file.
        ValueError
            Not a fastinit DBN file, one of another format version, or any field out of
            place; the message names the field (``"layer1: n_features_in_: is 20, expected
            32"``).

        Examples
        --------
        See :meth:`save`.
        """
        with open_archive(path, cls.__name__) as archive:
            return _dbn_file.read_dbn(archive, cls, RBM)

    # ------------------------------------------------------------------ scikit-learn glue

    @property
    def _n_features_out(self) -> int:
        return self.layer_sizes_[-1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.visible == "bernoulli"
        return tags


def _suggested_learning_rate(rbm: RBM) -> float:
    """A smaller rate for a fitted DBN layer that ended with stuck units (the warning's advice)."""
    n_hidden, n_visible = rbm.components_.shape
    rule = default_learning_rate(n_visible, n_hidden, rbm.visible)
    # Above the width rule, the rule's rate is the measured remedy; at or below it, halve.
    return rule if rbm.learning_rate > rule else rbm.learning_rate / 2


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value == "auto"
