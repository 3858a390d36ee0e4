"""Restricted Boltzmann machine estimator: :class:`RBM`.

The parameters and training state live in NumPy arrays owned by the estimator; every numerical
step (contrastive divergence, Gibbs sampling, free energy, pseudo-likelihood) runs in the C++
engine ``fastinit._core`` with the GIL released.
"""

from __future__ import annotations

import contextlib
import inspect
import numbers
import os
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from . import _core, _diagnostics, _rbm_file
from . import init as _init
from . import likelihood as _likelihood
from ._locking import LockedModel, model_lock, serialized
from ._model_file import open_archive
from ._parallel import resolve_n_threads
from ._params import check_bool, check_int, check_n_jobs, check_real
from ._progress import EpochProgress
from ._random import RandomStateLike, check_random_state_param, make_key
from ._rollback import rollback_on_error
from ._validation import column_means, engine_data, finite_float32, output_dtype
from .exceptions import DeadUnitsWarning

__all__ = ["RBM", "default_learning_rate"]

# Clip of the data mean before the log-odds visible-bias start (Hinton 2010, section 8).
_MEAN_CLIP = 1e-3
# Training monitors (fit's validation_data / monitor_every): rows of the training data they use
# (pseudo-likelihood costs n_visible free energies per row, hence fewer rows), and the AIS
# settings of the periodic log-likelihood.
_MONITOR_ROWS = 1000
_MONITOR_PL_ROWS = 100
_MONITOR_N_BETAS = 1000
_MONITOR_N_CHAINS = 100


# The default learning rate (default_learning_rate) scales the RBM's own default down for layers
# wider than these: one update moves a visible unit's input by a sum over the n_hidden units and
# a hidden unit's input by a sum over the n_visible inputs. Measured on MNIST-5k with the RBM's
# other defaults (CD-1, batch 100, momentum 0.5 then 0.9): at 0.1, layers of up to 500 hidden
# units and up to 1000 inputs trained without dead units; 784 -> 2000 and 500 -> 1000 lost
# 80-98 % of their units in the first epoch, 2000 -> 500 lost 48 %. Scaling each sum back to its
# size here kept every measured layer (250 to 2000 wide, on MNIST-5k and Fashion-MNIST) alive.
_REFERENCE_HIDDEN = 500
_REFERENCE_VISIBLE = 1000


def default_learning_rate(n_visible: int, n_hidden: int, visible: str = "bernoulli") -> float:
    """The rate of ``learning_rate="auto"``: 0.1 (0.01 for Gaussian units), scaled by width.

    ``base * min(1, 500 / n_hidden) * min(1, 1000 / n_visible)``, with ``base`` 0.1 for
    Bernoulli and 0.01 for Gaussian visible units. Layers up to 500 hidden units wide with up
    to 1000 inputs get ``base`` (784 -> 500 trains at 0.1); wider ones a rate inversely
    proportional to their width, so that one update changes the inputs of the units by about
    as much as in a 784 -> 500 layer at 0.1 (at 0.1, a 500 -> 2000 layer lost 98 % of its units
    on MNIST-5k). Every :class:`RBM` and :class:`~fastinit.DBN` layer left at "auto" uses it;
    the Notes of :class:`~fastinit.DBN` give the measurements.

    Parameters
    ----------
    n_visible, n_hidden : int
        The layer's inputs and hidden units.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        The layer's visible units.

    Returns
    -------
    float

    Examples
    --------
    >>> from fastinit.rbm import default_learning_rate
    >>> [default_learning_rate(784, 500), default_learning_rate(500, 500),
    ...  default_learning_rate(500, 2000)]
    [0.1, 0.1, 0.025]
    >>> default_learning_rate(2000, 500), default_learning_rate(784, 1000, "gaussian")
    (0.05, 0.005)
    """
    for name, value in (("n_visible", n_visible), ("n_hidden", n_hidden)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"default_learning_rate: {name} must be a positive int, got {value!r}")
    if visible not in ("bernoulli", "gaussian"):
        raise ValueError(
            f"default_learning_rate: visible must be 'bernoulli' or 'gaussian', got {visible!r}"
        )
    base = 0.1 if visible == "bernoulli" else 0.01
    # Each factor is exactly 1 up to the reference widths, so those layers train bit-identically
    # to an RBM left at learning_rate="auto".
    if n_hidden > _REFERENCE_HIDDEN:
        base *= _REFERENCE_HIDDEN / n_hidden
    if n_visible > _REFERENCE_VISIBLE:
        base *= _REFERENCE_VISIBLE / n_visible
    return base


class RBM(LockedModel, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Restricted Boltzmann machine trained by contrastive divergence, in parallel C++.

    Binary (Bernoulli) hidden units with Bernoulli visible units for data in [0, 1], or
    unit-variance Gaussian visible units for standardized real-valued data. Training is CD-k or
    persistent CD (PCD) with momentum, L2 weight decay and an optional sparsity target; whole
    epochs run in C++ with OpenMP threads and counter-based random numbers, so a seed gives the
    same model for any ``n_jobs``.

    Energy: ``E(v, h) = -v.a - h.c - h.W v`` (Bernoulli) or ``|v - a|^2 / 2 - h.c - h.W v``
    (Gaussian), with ``W = components_`` of shape ``(n_hidden, n_visible)``.

    Parameters
    ----------
    n_visible : int or None, default=None
        Number of visible units; ``None`` takes it from the data at ``fit``.
    n_hidden : int, default=256
        Number of hidden units.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        Visible unit type. Bernoulli units take probabilities: data must lie in [0, 1].
    k : int, default=1
        Gibbs steps per update (CD-k, or PCD-k when ``persistent``).
    persistent : bool, default=False
        Persistent CD (Tieleman 2008): the negative phase continues ``n_chains`` fantasy chains
        across updates, epochs and ``partial_fit`` calls instead of restarting at the data.
    n_chains : int or None, default=None
        Number of persistent chains; ``None`` uses ``batch_size``.
    learning_rate : float or "auto", default="auto"
        Step size on the mean gradient of a mini-batch. "auto" is 0.1 for Bernoulli and 0.01
        for Gaussian visible units, whose unbounded states need a smaller step (Hinton 2010,
        13.2), scaled down for layers wider than 500 hidden units or 1000 inputs
        (:func:`default_learning_rate`: a 784 -> 2000 RBM gets 0.025).
    momentum : "hinton" or float, default="hinton"
        "hinton" is 0.5 for the first 5 epochs, then 0.9 (Hinton 2010, 9.1); with
        ``persistent=True`` it stays at 0.5, since persistent chains fall behind fast-moving
        parameters. A float is used throughout.
    weight_decay : float, default=2e-4
        L2 penalty on the weights (not the biases).
    sparsity_target : float or None, default=None
        Target mean activation of the hidden units; ``None`` disables the penalty.
    sparsity_cost : float, default=0.1
        Strength of the sparsity penalty on the hidden biases and weights.
    sparsity_decay : float, default=0.95
        Decay of the running estimate of each hidden unit's mean activation.
    batch_size : int, default=100
        Rows per mini-batch.
    n_iter : int, default=10
        Epochs of ``fit``.
    shuffle : bool, default=True
        Visit the rows in a new random order each epoch.
    sample_visible : bool, default=False
        Sample the visible states of the CD chain instead of using their means. Means are the
        default because they remove sampling noise from the negative statistics without biasing
        the learning signal much (Hinton 2010, 3.2). PCD chains always sample.
    init : str or callable, default="hinton"
        Weight start: "hinton" is N(0, 0.01^2); any :mod:`fastinit.init` scheme name
        (e.g. "xavier_uniform") or a callable ``f(shape, rng) -> array``. Visible biases start at
        the log-odds of the data mean (Bernoulli) or the data mean (Gaussian), hidden biases at 0.
    n_jobs : int or None, default=None
        Threads: ``None`` uses every usable core, negative values count back (-1 = all). A
        positive value is taken as is up to 4 threads per usable core (more would only take
        turns on the cores, and OpenMP ends the process when it cannot create a thread); a call
        opens no more threads than it has blocks of work. Results do not depend on it. In a
        process forked from one that ran fastinit's threads, calls run on one thread
        (:class:`~fastinit.exceptions.ForkWarning`). ``|n_jobs|`` is at most 65536.
    random_state : None, int, RandomState or Generator, default=None
        Seeds the counter-based generator of all training randomness.
    verbose : int, default=0
        Progress per epoch: a tqdm bar when tqdm is installed, a plain line otherwise.
    monitor_every : int, default=0
        When > 0, ``fit`` / ``partial_fit`` record the log-likelihood (:meth:`log_likelihood`,
        ``method="auto"``: exact for small models, otherwise AIS with 100 chains and a short
        1,000-step schedule — a quick, noisier estimate than the 14,500-step default) every
        ``monitor_every`` epochs in ``history_["log_likelihood"]``. 0 disables it.

    Attributes
    ----------
    components_ : ndarray of shape (n_hidden, n_visible), float32
        Weights ``W``; row j holds hidden unit j's filter.
    intercept_visible_ : ndarray of shape (n_visible,), float32
    intercept_hidden_ : ndarray of shape (n_hidden,), float32
    persistent_hidden_ : ndarray of shape (n_chains, n_hidden) or None
        Hidden states of the PCD chains.
    n_features_in_ : int
    n_iter_ : int
        Epochs (passes over data) completed, across ``fit`` and ``partial_fit``.
    history_ : dict of lists
        Per epoch: ``epoch``, ``reconstruction_error`` (mean squared error of one mean-field
        reconstruction per visible unit; for PCD estimated on every 10th mini-batch),
        ``free_energy`` (mean over the rows of every 10th mini-batch, before its update: an
        unbiased estimate that keeps the monitor's cost out of the epoch) and ``seconds``.
        With ``validation_data`` or ``monitor_every`` (see :meth:`fit`) also
        ``free_energy_gap``, ``pseudo_likelihood`` and ``log_likelihood`` (NaN where not
        computed).
    base_rate_ : ndarray of shape (n_visible,) or None
        Mean of each visible unit over the data of the first ``fit`` / ``partial_fit``: the
        base-rate model from which AIS starts (:meth:`log_partition`). ``None`` for models
        built by :meth:`from_weights`.

    Notes
    -----
    Threads: the calls that change a model (``fit``, ``partial_fit``, and ``gibbs``,
    ``sample`` and ``log_partition`` / ``log_likelihood`` with AIS when ``random_state=None``
    continues the model's random stream) hold a per-model lock, and ``save`` holds it to write
    a consistent state: from several threads, such calls on one model run one after another
    (each ``partial_fit`` counts, concurrent ``sample()`` calls get distinct streams). Calls
    that only read the parameters (``transform``, ``score_samples``, ...) take no lock and may
    run in parallel with each other; run during training on another thread they would see
    weights between two mini-batch updates. Copies and pickles get their own lock.

    Ctrl-C (SIGINT) stops ``fit``, ``partial_fit``, ``gibbs``, ``sample`` and the partition
    function within about a second with ``KeyboardInterrupt``: training keeps the last
    completed mini-batch; sampling leaves the model as it was (its random stream included).

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit import RBM
    >>> X = (np.random.default_rng(0).random((500, 64)) < 0.3).astype(np.float32)
    >>> rbm = RBM(64, 16, n_iter=5, random_state=0).fit(X)
    >>> rbm.transform(X).shape
    (500, 16)
    """

    def __init__(
        self,
        n_visible: int | None = None,
        n_hidden: int = 256,
        *,
        visible: str = "bernoulli",
        k: int = 1,
        persistent: bool = False,
        n_chains: int | None = None,
        learning_rate: float | str = "auto",
        momentum: float | str = "hinton",
        weight_decay: float = 2e-4,
        sparsity_target: float | None = None,
        sparsity_cost: float = 0.1,
        sparsity_decay: float = 0.95,
        batch_size: int = 100,
        n_iter: int = 10,
        shuffle: bool = True,
        sample_visible: bool = False,
        init: str | Callable[..., np.ndarray] = "hinton",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: int = 0,
        monitor_every: int = 0,
    ) -> None:
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.visible = visible
        self.k = k
        self.persistent = persistent
        self.n_chains = n_chains
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.sparsity_decay = sparsity_decay
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.shuffle = shuffle
        self.sample_visible = sample_visible
        self.init = init
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.monitor_every = monitor_every

    # ------------------------------------------------------------------ validation

    # The parameter giving the number of hidden units (BernoulliRBM: n_components), for errors.
    _hidden_param = "n_hidden"

    def _check_params(self, method: str = "fit") -> None:
        """Validate every parameter, as scikit-learn does at fit time (not in ``__init__``):
        ``TypeError`` / ``ValueError`` naming ``<class>.<method>``, the parameter and the range.
        Integers must fit the engine's types and reals be finite in float32 (NaN passes a plain
        range check, 1e39 becomes infinite in the engine)."""
        caller = f"{type(self).__name__}.{method}"
        if not (isinstance(self.visible, str) and self.visible in ("bernoulli", "gaussian")):
            raise ValueError(
                f"{caller}: visible must be 'bernoulli' or 'gaussian', got {self.visible!r}"
            )
        if self.n_visible is not None:
            check_int(self.n_visible, "n_visible", caller=caller, low=1)
        check_int(self.n_hidden, self._hidden_param, caller=caller, low=1)
        check_int(self.k, "k", caller=caller, low=1, high=30000)
        check_int(self.batch_size, "batch_size", caller=caller, low=1)
        check_int(self.n_iter, "n_iter", caller=caller, low=0)
        if self.n_chains is not None:
            check_int(self.n_chains, "n_chains", caller=caller, low=1)
        self._check_reals(caller)
        for name in ("persistent", "shuffle", "sample_visible"):
            check_bool(getattr(self, name), name, caller=caller)
        if not (callable(self.init) or isinstance(self.init, str)):
            raise TypeError(
                f"{caller}: init must be a scheme name or a callable, got {self.init!r}"
            )
        if not callable(self.init) and self.init != "hinton":
            try:
                _init.get_initializer(self.init)
            except ValueError as exc:  # its message lists the valid names, not this parameter
                raise ValueError(
                    f"{caller}: init must be 'hinton', a callable or a scheme name: {exc}"
                ) from None
        check_int(self.verbose, "verbose", caller=caller, low=0, allow_bool=True)
        check_int(self.monitor_every, "monitor_every", caller=caller, low=0)
        check_n_jobs(self.n_jobs, caller)
        check_random_state_param(self.random_state, caller)

    def _check_reals(self, caller: str) -> None:
        """The real-valued parameters: finite, in float32's range and in their intervals."""
        if not _is_str(self.learning_rate, "auto"):
            check_real(self.learning_rate, "learning_rate", caller=caller, low=0, closed="right")
        if not _is_str(self.momentum, "hinton"):
            check_real(self.momentum, "momentum", caller=caller, low=0, high=1, closed="left")
        check_real(self.weight_decay, "weight_decay", caller=caller, low=0)
        if self.sparsity_target is not None:
            check_real(self.sparsity_target, "sparsity_target", caller=caller, low=0, high=1,
                       closed="neither")  # fmt: skip
        check_real(self.sparsity_cost, "sparsity_cost", caller=caller, low=0)
        check_real(self.sparsity_decay, "sparsity_decay", caller=caller, low=0, high=1,
                   closed="left")  # fmt: skip

    def _training_data(self, X: Any, caller: str, *, reset: bool) -> Any:
        X = engine_data(self, X, caller, fitting=True, reset=reset, ensure_min_samples=1)
        if reset and self.n_visible is not None and X.shape[1] != self.n_visible:
            raise ValueError(
                f"X has {X.shape[1]} features, but n_visible={self.n_visible}; pass data with "
                f"{self.n_visible} columns or change n_visible"
            )
        return X

    def _resolved_learning_rate(self) -> float:
        if _is_str(self.learning_rate, "auto"):
            n_hidden, n_visible = self.components_.shape
            return default_learning_rate(n_visible, n_hidden, self.visible)
        return float(self.learning_rate)

    def _momentum_for(self, epoch: int) -> float:
        if isinstance(self.momentum, str):
            # Persistent chains mix only while the parameters move slowly; 0.9 multiplies the
            # effective step by 10 and the fantasy particles fall behind (measured: PCD-1 on
            # digits and MNIST got worse after the switch), so PCD stays at 0.5.
            return 0.5 if epoch < 5 or self.persistent else 0.9
        return float(self.momentum)

    # ------------------------------------------------------------------ initialization

    def _initial_weights(
        self, rng: np.random.Generator, shape: tuple[int, int], caller: str
    ) -> np.ndarray:
        if callable(self.init):
            W = np.asarray(self.init(shape, rng))
        elif self.init == "hinton":
            W = rng.normal(0.0, 0.01, size=shape)
        else:
            W = _init.get_initializer(self.init)(shape, rng=rng, dtype=np.float32)
        if W.shape != shape:
            raise ValueError(
                f"{caller}: init returned an array of shape {W.shape}, expected {shape}"
            )
        # Finite in float32, the engine's type (1e39 is finite in float64 only).
        return finite_float32(W, "the weights init returned", caller)

    def _initialize(self, X: np.ndarray, caller: str) -> None:
        n_visible = X.shape[1]
        self._key = make_key(self.random_state)
        rng = np.random.default_rng(self._key)
        W = self._initial_weights(rng, (int(self.n_hidden), n_visible), caller)
        mean = column_means(X)
        if self.visible == "bernoulli":
            p = np.clip(mean, _MEAN_CLIP, 1 - _MEAN_CLIP)
            a = np.log(p / (1 - p))
        else:
            a = mean
        self._set_state(
            W, a.astype(np.float32), np.zeros(self.n_hidden, dtype=np.float32), reset_training=True
        )
        self.base_rate_ = mean.astype(np.float32)  # the AIS base-rate model (log_partition)

    def _set_state(self, W: np.ndarray, a: np.ndarray, c: np.ndarray, *, reset_training: bool):
        self.components_ = np.ascontiguousarray(W, dtype=np.float32)
        self.intercept_visible_ = np.ascontiguousarray(a, dtype=np.float32)
        self.intercept_hidden_ = np.ascontiguousarray(c, dtype=np.float32)
        if reset_training:
            n_hidden, n_visible = self.components_.shape
            self._velocity_W = np.zeros((n_hidden, n_visible), dtype=np.float32)
            self._velocity_a = np.zeros(n_visible, dtype=np.float32)
            self._velocity_c = np.zeros(n_hidden, dtype=np.float32)
            self._hidden_mean = np.full(n_hidden, self.sparsity_target or 0.0, dtype=np.float32)
            n_chains = self.n_chains or self.batch_size
            # The chains start with all hidden units off, so their first visible sample comes
            # from the base rates sigmoid(a) = data mean (the start scikit-learn uses too).
            self.persistent_hidden_ = (
                np.zeros((n_chains, n_hidden), dtype=np.float32) if self.persistent else None
            )
            self._step = 0
            self._gibbs_calls = 0
            self.base_rate_ = None
            self.n_iter_ = 0
            self.history_ = {
                "epoch": [],
                "reconstruction_error": [],
                "free_energy": [],
                "seconds": [],
            }

    # ------------------------------------------------------------------ training

    @serialized
    def fit(self, X: Any, y: Any = None, *, validation_data: Any = None) -> RBM:
        """Train on X for ``n_iter`` epochs from a fresh start.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_visible)
            Training data: float32/float64 (C or F order), uint8 or bool holding 0/1 values, or
            a memory map of those; read one mini-batch at a time. Bernoulli units need [0, 1].
        y : ignored
        validation_data : array-like of shape (n_valid, n_visible) or None, default=None
            Held-out data for the training monitors. With it (or with ``monitor_every > 0``)
            every epoch also records in ``history_``: ``free_energy_gap``, the mean free energy
            of ``validation_data`` minus that of the first min(1000, n_samples) training rows
            (Hinton 2010, section 6: it grows as the model overfits; NaN without validation
            data); ``pseudo_likelihood``, the mean of :meth:`score_samples` on the first 100 of
            those rows (NaN for Gaussian units); and every ``monitor_every`` epochs
            ``log_likelihood`` (mean log p on ``validation_data``, else on the training rows)
            and ``log_likelihood_train`` (on the training rows), NaN in other epochs. The
            per-epoch monitors cost about two free-energy passes over 1,000 rows plus the
            pseudo-likelihood of 100 rows (~n_visible free energies each); one monitored
            log-likelihood of a 784 x 500 model (AIS, 1,000 steps) about 2 s of CPU time.

        Returns
        -------
        self : RBM

        Raises
        ------
        ValueError, TypeError
            A parameter out of its range or of the wrong type (named in the message), or data
            the model cannot train on (NaN, the wrong width, values outside [0, 1] for
            Bernoulli units). A refused or failed call leaves every attribute as it was,
            ``feature_names_in_`` included; Ctrl-C instead keeps the completed mini-batches.
        FloatingPointError
            Training diverged (non-finite weights); the model is restored as above.

        Warns
        -----
        fastinit.exceptions.DeadUnitsWarning
            When over 10 % of the hidden units ended the last epoch dead (mean activation over
            its rows below 0.01, or a tenth of a sparsity target under 0.1) or saturated (above
            0.99): the message gives the learning rate to lower.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from fastinit import RBM
        >>> X = load_digits().data / 16.0
        >>> RBM(64, 32, n_iter=2, random_state=0).fit(X).n_iter_
        2
        """
        self._check_params("fit")
        with rollback_on_error(self):
            X = self._training_data(X, "fit", reset=True)
            self._initialize(X, f"{type(self).__name__}.fit")
            monitor = self._make_monitor(X, validation_data, "fit")
            activation = self._train(X, int(self.n_iter), monitor)
        self._warn_if_stuck(activation)
        return self

    @serialized
    def partial_fit(self, X: Any, y: Any = None, *, validation_data: Any = None) -> RBM:
        """One pass over X in mini-batches, continuing the current training state.

        The first call initializes the model from X. PCD chains, momentum and the random stream
        continue across calls; the momentum schedule counts passes as epochs.
        ``validation_data`` and ``monitor_every`` add the training monitors as in :meth:`fit`.

        Returns
        -------
        self : RBM

        Raises
        ------
        ValueError, TypeError, FloatingPointError
            As :meth:`fit`; a refused or failed call leaves every attribute as it was.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> rbm = RBM(64, 16, random_state=0)
        >>> for chunk in np.array_split(np.random.default_rng(0).random((300, 64)), 3):
        ...     rbm = rbm.partial_fit(chunk)
        >>> rbm.n_iter_
        3
        """
        self._check_params("partial_fit")
        first = not hasattr(self, "components_")
        with rollback_on_error(self):
            X = self._training_data(X, "partial_fit", reset=first)
            if first:
                self._initialize(X, f"{type(self).__name__}.partial_fit")
            elif self.persistent and self.persistent_hidden_ is None:
                raise ValueError("persistent=True was set after fitting with CD; refit the model")
            self._train(X, 1, self._make_monitor(X, validation_data, "partial_fit"))
        return self

    def _make_monitor(self, X: np.ndarray, validation_data: Any, caller: str) -> Any:
        """The training monitors, or None when neither validation data nor monitor_every is set."""
        if validation_data is None and not self.monitor_every:
            return None
        if validation_data is not None:
            validation_data = engine_data(
                self, validation_data, caller, fitting=True, name="validation_data"
            )
        return _likelihood.TrainingMonitor(
            X[:_MONITOR_ROWS], validation_data, int(self.monitor_every),
            pseudo_likelihood_rows=_MONITOR_PL_ROWS, n_chains=_MONITOR_N_CHAINS,
            n_betas=_MONITOR_N_BETAS,
        )  # fmt: skip

    def _train(self, X: np.ndarray, n_epochs: int, monitor: Any = None) -> np.ndarray | None:
        """``n_epochs`` epochs; the last one's mean hidden activations (None without epochs)."""
        n_threads = resolve_n_threads(self.n_jobs)
        self.__dict__.pop("_log_z_cache", None)  # any training invalidates cached log Z
        progress = EpochProgress(n_epochs, type(self).__name__, self.verbose)
        activation = None
        try:
            for _ in range(n_epochs):
                activation = self._run_epoch(X, n_threads, progress, monitor)
        finally:
            progress.close()
        return activation

    def _warn_if_stuck(self, activation: np.ndarray | None) -> None:
        """DeadUnitsWarning when many hidden units ended dead or saturated in the last epoch."""
        if activation is None:
            return
        n_hidden, n_visible = self.components_.shape
        message = _diagnostics.stuck_units_message(
            activation, layer=f"{type(self).__name__} {n_visible} -> {n_hidden}",
            advice=f"Lower learning_rate (now {self._resolved_learning_rate():g}), or use fewer "
            "hidden units.", dead_threshold=_diagnostics.dead_below(self.sparsity_target),
        )  # fmt: skip
        if message is not None:
            warnings.warn(message, DeadUnitsWarning, stacklevel=3)

    def _run_epoch(
        self, X: np.ndarray, n_threads: int, progress: EpochProgress, monitor: Any = None
    ) -> np.ndarray:
        epoch = self.n_iter_
        start = time.perf_counter()
        stats = _core.train_epoch(
            X, self.components_, self.intercept_visible_, self.intercept_hidden_,
            self._velocity_W, self._velocity_a, self._velocity_c, self.persistent_hidden_,
            self._hidden_mean,
            key=self._key, step=self._step, epoch=epoch, visible=self.visible, k=int(self.k),
            persistent=bool(self.persistent), learning_rate=self._resolved_learning_rate(),
            momentum=self._momentum_for(epoch), weight_decay=float(self.weight_decay),
            sparsity_target=self.sparsity_target, sparsity_cost=float(self.sparsity_cost),
            sparsity_decay=float(self.sparsity_decay), sample_visible=bool(self.sample_visible),
            batch_size=int(self.batch_size), shuffle=bool(self.shuffle), n_threads=n_threads,
        )  # fmt: skip
        self._step = int(stats["step"])
        if stats["interrupted"]:
            # The model holds the last completed mini-batch; the partial epoch is not counted.
            raise stats["error"]
        if not (np.isfinite(stats["free_energy"]) and np.all(np.isfinite(self.components_))):
            raise FloatingPointError(
                f"training diverged in epoch {epoch + 1} (non-finite weights); the model was "
                "restored to its state before this call. Lower learning_rate, or standardize "
                "the data for visible='gaussian'."
            )
        self.n_iter_ = epoch + 1
        seconds = time.perf_counter() - start
        metrics = {
            "reconstruction_error": float(stats["reconstruction_error"]),
            "free_energy": float(stats["free_energy"]),
        }
        interrupt = None
        if monitor is not None:
            try:
                metrics.update(monitor.measure(self))
            except KeyboardInterrupt as exc:  # the epoch counts; its monitors stay NaN
                interrupt = exc
        history = self.history_
        n_before = len(history["epoch"])
        for name in metrics:  # a monitor first recorded now: NaN for the earlier epochs
            history.setdefault(name, [np.nan] * n_before)
        history["epoch"].append(self.n_iter_)
        for name, value in metrics.items():
            history[name].append(value)
        history["seconds"].append(seconds)
        for values in history.values():  # monitors not measured in this epoch
            if len(values) == n_before:
                values.append(np.nan)
        progress.update(self._reported(metrics, X, progress), seconds)
        if interrupt is not None:
            raise interrupt
        return stats["hidden_activation"]

    def _reported(self, metrics: dict[str, float], X: Any, progress: EpochProgress) -> dict:
        """The epoch's metrics for the progress line, which leads with the pseudo-likelihood as
        scikit-learn's does (measured here, on the monitor's rows, when no monitor did)."""
        if (
            not progress.prints_lines
            or self.visible != "bernoulli"
            or ("pseudo_likelihood" in metrics)
        ):
            return metrics
        rows = X[:_MONITOR_PL_ROWS]
        return {"pseudo_likelihood": float(np.mean(self._score_samples(rows))), **metrics}

    # ------------------------------------------------------------------ inference

    def _checked_input(self, X: Any, caller: str, **kwargs: Any) -> Any:
        check_is_fitted(self, "components_")
        return engine_data(self, X, caller, fitting=False, **kwargs)

    def transform(self, X: Any) -> np.ndarray:
        """Hidden-unit probabilities P(h = 1 | v) for every row of X.

        Returns
        -------
        H : ndarray of shape (n_samples, n_hidden)
            float32 for float32 input, else float64 (scikit-learn's rule; the engine computes
            in float32 either way).

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = np.random.default_rng(0).random((100, 8))
        >>> RBM(8, 3, n_iter=1, random_state=0).fit(X).transform(X[:2]).shape
        (2, 3)
        """
        X = self._checked_input(X, "transform")
        return self._hidden_probabilities(X).astype(output_dtype(X), copy=False)

    def _hidden_probabilities(self, X: Any) -> np.ndarray:
        """P(h = 1 | v) of validated engine data, float32 (no cast: DBN layers chain on it)."""
        return _core.hidden_probabilities(
            X, self.components_, self.intercept_hidden_, resolve_n_threads(self.n_jobs)
        )

    def inverse_transform(self, H: Any) -> np.ndarray:
        """Visible means E[v | h] for hidden states or probabilities H.

        Returns
        -------
        V : ndarray of shape (n_samples, n_visible)
            float32 for float32 input, else float64.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> rbm = RBM(8, 3, n_iter=1, random_state=0).fit(np.random.default_rng(0).random((50, 8)))
        >>> rbm.inverse_transform(np.ones((1, 3))).shape
        (1, 8)
        """
        check_is_fitted(self, "components_")
        H = check_array(H, accept_sparse=False, dtype=None, input_name="H")
        dtype = output_dtype(H)
        H = np.ascontiguousarray(H, dtype=np.float32)
        if H.shape[1] != self.components_.shape[0]:
            raise ValueError(
                f"RBM.inverse_transform: H has {H.shape[1]} columns, but the model has "
                f"{self.components_.shape[0]} hidden units"
            )
        means = _core.visible_means(
            H, self.components_, self.intercept_visible_, self.visible,
            resolve_n_threads(self.n_jobs),
        )  # fmt: skip
        return means.astype(dtype, copy=False)

    def reconstruct(self, X: Any) -> np.ndarray:
        """Mean-field reconstruction E[v | h = P(h | v)] of every row of X.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = np.random.default_rng(0).random((50, 8))
        >>> RBM(8, 3, n_iter=1, random_state=0).fit(X).reconstruct(X).shape
        (50, 8)
        """
        X = self._checked_input(X, "reconstruct")
        H = self._hidden_probabilities(X)
        return self.inverse_transform(H).astype(output_dtype(X), copy=False)

    # scikit-learn's BernoulliRBM helpers, kept for code written against it.

    def _mean_hiddens(self, v: Any) -> np.ndarray:
        """P(h = 1 | v) of a row or of rows: :meth:`transform`, also for one 1-D row."""
        if not sp.issparse(v) and np.ndim(v) == 1:
            return self.transform(np.asarray(v)[np.newaxis])[0]
        return self.transform(v)

    def _sample_hiddens(self, v: Any, rng: np.random.RandomState) -> np.ndarray:
        """Hidden states drawn from P(h | v) with NumPy's ``rng``, as scikit-learn draws them."""
        p = self._mean_hiddens(v)
        return rng.uniform(size=p.shape) < p

    @contextlib.contextmanager
    def _sampling_stream(self, random_state: RandomStateLike) -> Iterator[tuple[int, int]]:
        """Key and call index for a sampling call: the model's own stream when None.

        The model's stream is advanced under the model's lock, held for the whole call (a
        concurrent call takes the next stream, a concurrent fit waits), and is left where it was
        when the call fails or is interrupted (Ctrl-C), so the model is unchanged.
        """
        if random_state is not None:
            yield make_key(random_state), 0
            return
        with model_lock(self):
            call = self._gibbs_calls
            self._gibbs_calls += 1
            try:
                yield self._key, call % (1 << 24)
            except BaseException:
                self._gibbs_calls = call
                raise

    def gibbs(self, V: Any, n_steps: int = 1, random_state: RandomStateLike = None) -> np.ndarray:
        """Run ``n_steps`` full Gibbs sweeps v -> h -> v from the rows of V.

        Parameters
        ----------
        V : array-like of shape (n_samples, n_visible)
            Starting visible states.
        n_steps : int, default=1
        random_state : None, int, RandomState or Generator, default=None
            ``None`` continues the model's own random stream.

        Returns
        -------
        V_new : ndarray of shape (n_samples, n_visible)
            Visible samples after the last sweep (binary for Bernoulli units); float32 for
            float32 input, else float64.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = (np.random.default_rng(0).random((200, 8)) < 0.5).astype(np.float32)
        >>> rbm = RBM(8, 4, n_iter=2, random_state=0).fit(X)
        >>> rbm.gibbs(X[:3], n_steps=10, random_state=0).shape
        (3, 8)
        """
        check_is_fitted(self, "components_")
        check_int(n_steps, "n_steps", caller=f"{type(self).__name__}.gibbs", low=0)
        V = self._checked_input(V, "gibbs", name="V")
        dtype = output_dtype(V)
        # A new float32 C-ordered array, which the engine sweeps in place.
        V = np.asarray(V.toarray(), np.float32) if sp.issparse(V) else np.array(V, np.float32)
        with self._sampling_stream(random_state) as (key, call):
            V = self._run_gibbs(V, int(n_steps), key, call)
        return V.astype(dtype, copy=False)

    def sample(
        self, n_samples: int, n_steps: int = 1000, random_state: RandomStateLike = None
    ) -> np.ndarray:
        """Draw fantasy samples: Gibbs chains from random starts, ``n_steps`` sweeps each.

        Chains start from uniform random binary states (Bernoulli) or N(0, 1) (Gaussian).

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = (np.random.default_rng(0).random((200, 8)) < 0.5).astype(np.float32)
        >>> RBM(8, 4, n_iter=2, random_state=0).fit(X).sample(5, n_steps=50).shape
        (5, 8)
        """
        check_is_fitted(self, "components_")
        caller = f"{type(self).__name__}.sample"
        check_int(n_samples, "n_samples", caller=caller, low=1)
        check_int(n_steps, "n_steps", caller=caller, low=0)
        with self._sampling_stream(random_state) as (key, call):
            start_rng = np.random.default_rng([key, call])
            shape = (int(n_samples), self.components_.shape[1])
            if self.visible == "bernoulli":
                V = (start_rng.random(shape, dtype=np.float32) < 0.5).astype(np.float32)
            else:
                V = start_rng.standard_normal(shape, dtype=np.float32)
            return self._run_gibbs(V, int(n_steps), key, call)

    def _run_gibbs(self, V: np.ndarray, n_steps: int, key: int, call: int) -> np.ndarray:
        """Sweep the float32 C-ordered states V in place in the engine and return them."""
        _core.gibbs(
            V, self.components_, self.intercept_visible_, self.intercept_hidden_, self.visible,
            n_steps, key, call, resolve_n_threads(self.n_jobs),
        )  # fmt: skip
        return V

    def free_energy(self, X: Any) -> np.ndarray:
        """Free energy F(v) = -log sum_h exp(-E(v, h)) of every row, in float64.

        ``F(v) = -v.a - sum_j softplus(c_j + W_j.v)`` (Bernoulli) or
        ``|v - a|^2 / 2 - sum_j softplus(c_j + W_j.v)`` (Gaussian).

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = np.random.default_rng(0).random((50, 8))
        >>> RBM(8, 3, n_iter=1, random_state=0).fit(X).free_energy(X).shape
        (50,)
        """
        return self._free_energy(self._checked_input(X, "free_energy"))

    def _free_energy(self, X: Any) -> np.ndarray:
        return _core.free_energy(
            X, self.components_, self.intercept_visible_, self.intercept_hidden_, self.visible,
            resolve_n_threads(self.n_jobs),
        )  # fmt: skip

    def score_samples(self, X: Any) -> np.ndarray:
        """Pseudo-log-likelihood of every row: the exact sum over all visible units.

        For Bernoulli units, ``sum_i log p(v_i | v_-i)`` with every unit flipped in turn
        (``v_i -> 1 - v_i``), so it carries no sampling noise — scikit-learn's BernoulliRBM
        instead flips one random unit and scales by ``n_visible``, an unbiased estimate whose
        variance this removes. For Gaussian units the conditionals have no closed form and the
        unnormalized log-density ``-F(v)`` is returned; use it to compare rows of one model.

        Returns
        -------
        scores : ndarray of shape (n_samples,), float64

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = (np.random.default_rng(0).random((100, 8)) < 0.5).astype(np.float32)
        >>> bool(np.all(RBM(8, 3, n_iter=1, random_state=0).fit(X).score_samples(X) < 0))
        True
        """
        return self._score_samples(self._checked_input(X, "score_samples"))

    def _score_samples(self, X: Any) -> np.ndarray:
        if self.visible == "gaussian":
            return -self._free_energy(X)
        return _core.pseudo_likelihood(
            X, self.components_, self.intercept_visible_, self.intercept_hidden_,
            resolve_n_threads(self.n_jobs),
        )  # fmt: skip

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` over the rows of X (higher is better).

        It lets model selection (``GridSearchCV``, ``cross_val_score``, dask-ml) rank RBMs
        without ``scoring=``. For Bernoulli units it is the mean exact pseudo-log-likelihood,
        which compares models. For Gaussian units it is the mean unnormalized log-density
        ``-F(v)``, which compares rows of one model but not models (their log Z differ): rank
        those with :meth:`log_likelihood` instead.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_visible)
        y : ignored

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = (np.random.default_rng(0).random((100, 8)) < 0.5).astype(np.float32)
        >>> rbm = RBM(8, 3, n_iter=1, random_state=0).fit(X)
        >>> bool(rbm.score(X) == rbm.score_samples(X).mean())
        True
        """
        return float(np.mean(self._score_samples(self._checked_input(X, "score"))))

    # ------------------------------------------------------------------ likelihood

    def log_partition(
        self,
        method: str = "auto",
        *,
        n_chains: int = 100,
        n_betas: int = 14500,
        betas: Any = None,
        base_rate: Any = None,
        random_state: RandomStateLike = None,
    ) -> _likelihood.LogPartition:
        """The log partition function ``log Z`` (nats): exact, or estimated by AIS.

        ``exact`` enumerates all states of the smaller layer and sums the other analytically
        (the hidden layer for Gaussian visible units), in float64; it accepts up to
        ``fastinit.likelihood.EXACT_MAX_UNITS`` (30) units in that layer, at a cost of
        ``2**n * max(n_visible, n_hidden)`` element-wise terms. ``ais`` is annealed importance
        sampling (Salakhutdinov & Murray 2008) from the base-rate model (``W = 0``, ``c = 0``,
        visible biases from ``base_rate``) through ``n_betas`` tempered distributions, each
        followed by one Gibbs sweep, with ``n_chains`` independent chains; it works at any size
        (784 x 500 with the defaults: well under a minute on two cores).

        Parameters
        ----------
        method : {"auto", "exact", "ais"}, default="auto"
            "auto" is "exact" when the summed layer has at most
            ``fastinit.likelihood.AUTO_EXACT_MAX_UNITS`` (20) units, else "ais".
        n_chains : int, default=100
            AIS chains (run in parallel; the result does not depend on ``n_jobs``).
        n_betas : int, default=14500
            AIS annealing steps, at least 2, on the schedule of
            :func:`fastinit.likelihood.salakhutdinov_murray_betas` (500 steps to 0.5, 4,000 to
            0.9, 10,000 to 1 at the default; scaled proportionally otherwise).
        betas : array-like or None, default=None
            An explicit non-decreasing schedule from 0.0 to 1.0 (overrides ``n_betas``).
        base_rate : array-like of shape (n_visible,) or None, default=None
            Per-unit means defining the AIS base model. ``None`` uses ``base_rate_`` (the
            training data's means, stored by ``fit``), or for models without it the model's own
            visible biases.
        random_state : None, int, RandomState or Generator, default=None
            ``None`` continues the model's own random stream.

        Returns
        -------
        LogPartition
            ``(log_z, lower, upper, method, n_chains, n_betas, ess)``; for AIS ``lower`` and
            ``upper`` are the log of the mean importance weight -/+ 3 standard errors.

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = (np.random.default_rng(0).random((200, 12)) < 0.3).astype(np.float32)
        >>> rbm = RBM(12, 8, n_iter=5, random_state=0).fit(X)
        >>> exact = rbm.log_partition("exact")
        >>> ais = rbm.log_partition("ais", n_betas=2000, random_state=0)
        >>> bool(abs(ais.log_z - exact.log_z) < 0.1)
        True
        """
        return self._log_partition(
            method, n_chains, n_betas, betas, base_rate, random_state, reuse=False
        )

    def log_likelihood(self, X: Any, **log_partition_options: Any) -> float:
        """Mean log-probability ``log p(x) = -F(x) - log Z`` of the rows of X, in nats.

        ``log Z`` comes from :meth:`log_partition` with the given options and is cached: further
        calls with the same parameters and options (e.g. on training then test data) reuse it,
        and any training invalidates it. For Gaussian visible units this is a log-density.
        :meth:`score_samples` stays the cheap pseudo-log-likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_visible)
        **log_partition_options
            ``method``, ``n_chains``, ``n_betas``, ``betas``, ``base_rate``, ``random_state``
            of :meth:`log_partition`.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> X = (np.random.default_rng(0).random((200, 12)) < 0.3).astype(np.float32)
        >>> rbm = RBM(12, 8, n_iter=5, random_state=0).fit(X)
        >>> bool(rbm.log_likelihood(X) < 0)
        True
        """
        X = self._checked_input(X, "log_likelihood")
        try:
            bound = inspect.signature(self.log_partition).bind(**log_partition_options)
        except TypeError as exc:
            raise TypeError(f"log_likelihood got an unexpected option: {exc}") from None
        bound.apply_defaults()
        log_z = self._log_partition(*bound.arguments.values(), reuse=True).log_z
        return float(-np.mean(self._free_energy(X)) - log_z)

    def _log_partition(
        self, method: str, n_chains: int, n_betas: int, betas: Any, base_rate: Any,
        random_state: RandomStateLike, *, reuse: bool,
    ) -> _likelihood.LogPartition:  # fmt: skip
        """log_partition's work; ``reuse`` returns a cached result for the same inputs. A call
        that fails leaves the sampling stream and the cache as they were."""
        with rollback_on_error(self):
            return self._log_partition_of(
                method, n_chains, n_betas, betas, base_rate, random_state, reuse=reuse
            )

    def _log_partition_of(
        self, method: str, n_chains: int, n_betas: int, betas: Any, base_rate: Any,
        random_state: RandomStateLike, *, reuse: bool,
    ) -> _likelihood.LogPartition:  # fmt: skip
        check_is_fitted(self, "components_")
        n_hidden, n_visible = self.components_.shape
        _likelihood.check_options(n_chains, n_betas, betas, f"{type(self).__name__}.log_partition")
        resolved = _likelihood.resolve_method(method, n_visible, n_hidden, self.visible)
        W = _likelihood.checked_f32(self.components_, "components_")
        a = _likelihood.checked_f32(self.intercept_visible_, "intercept_visible_")
        c = _likelihood.checked_f32(self.intercept_hidden_, "intercept_hidden_")
        rate = base_rate if base_rate is not None else getattr(self, "base_rate_", None)
        base_bias = (
            a.copy() if rate is None
            else _likelihood.base_visible_bias(rate, n_visible, self.visible)
        )  # fmt: skip
        cache_key = _likelihood.cache_key(
            (W, a, c), self.visible, resolved, n_chains, n_betas, betas, base_bias, random_state
        )
        cache = self.__dict__.setdefault("_log_z_cache", {})
        if reuse and cache_key in cache:
            return cache[cache_key]
        stream = (
            self._sampling_stream(random_state) if resolved == "ais"
            else contextlib.nullcontext((0, 0))
        )  # fmt: skip
        with stream as (key, call):
            result = _likelihood.compute_log_partition(
                W, a, c, self.visible, resolved, n_chains=n_chains, n_betas=n_betas, betas=betas,
                base_bias=base_bias, key=key, call=call, n_threads=resolve_n_threads(self.n_jobs),
            )  # fmt: skip
        if cache_key is not None:
            cache.pop(cache_key, None)
            cache[cache_key] = result
            while len(cache) > 8:  # keep the most recent estimates only
                cache.pop(next(iter(cache)))
        return result

    # ------------------------------------------------------------------ construction and I/O

    @classmethod
    def from_weights(
        cls,
        components: Any,
        intercept_visible: Any,
        intercept_hidden: Any,
        **params: Any,
    ) -> RBM:
        """Build a fitted model from given parameters.

        Parameters
        ----------
        components : array-like of shape (n_hidden, n_visible)
        intercept_visible : array-like of shape (n_visible,)
        intercept_hidden : array-like of shape (n_hidden,)
        **params
            Constructor parameters (``visible``, ``random_state``, ...).

        Examples
        --------
        >>> import numpy as np
        >>> from fastinit import RBM
        >>> rbm = RBM.from_weights(np.zeros((3, 5)), np.zeros(5), np.zeros(3))
        >>> rbm.transform(np.ones((1, 5), dtype=np.float32))
        array([[0.5, 0.5, 0.5]], dtype=float32)
        """
        caller = f"{cls.__name__}.from_weights"
        W = check_array(components, dtype=np.float64, input_name="components")
        n_hidden, n_visible = W.shape
        a = np.asarray(intercept_visible, dtype=np.float64)
        c = np.asarray(intercept_hidden, dtype=np.float64)
        if a.shape != (n_visible,):
            raise ValueError(
                f"{caller}: intercept_visible must have shape ({n_visible},), got {a.shape}"
            )
        if c.shape != (n_hidden,):
            raise ValueError(
                f"{caller}: intercept_hidden must have shape ({n_hidden},), got {c.shape}"
            )
        # Finite in float32, the type the model holds (1e39 is finite in float64 only).
        W = finite_float32(W, "components", caller)
        a = finite_float32(a, "intercept_visible", caller)
        c = finite_float32(c, "intercept_hidden", caller)
        model = cls(**{**cls._layer_params(n_visible, n_hidden), **params})
        model._check_params("from_weights")
        if model.n_visible not in (None, n_visible) or model.n_hidden != n_hidden:
            raise ValueError("n_visible / n_hidden disagree with the shape of components")
        model._key = make_key(model.random_state)
        model._set_state(W, a, c, reset_training=True)
        model.n_features_in_ = n_visible
        return model

    @classmethod
    def _layer_params(cls, n_visible: int, n_hidden: int) -> dict[str, int]:
        """Constructor parameters that give the layer sizes (from_weights sets them)."""
        return {"n_visible": n_visible, "n_hidden": n_hidden}

    @serialized
    def save(self, path: str | os.PathLike[str]) -> None:
        """Save parameters, training state and random-stream position to an ``.npz`` file.

        The file holds a JSON metadata member and float arrays, no pickle (see :meth:`load`).

        Examples
        --------
        >>> import numpy as np, tempfile, os
        >>> from fastinit import RBM
        >>> rbm = RBM.from_weights(np.zeros((3, 5)), np.zeros(5), np.zeros(3))
        >>> path = os.path.join(tempfile.mkdtemp(), "rbm.npz")
        >>> rbm.save(path)
        >>> RBM.load(path).components_.shape
        (3, 5)
        """
        check_is_fitted(self, "components_")
        _rbm_file.write_rbm(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RBM:
        """Load a model written by :meth:`save`; training continues exactly where it stopped.

        Model files are shared, so nothing in one is trusted: every field is checked before the
        model is built (the parameters as :meth:`fit` checks them, integers in range, one
        ``history_`` entry per epoch), and every array's header — dtype and shape, which must
        follow from ``n_features_in_`` and the weights' rows — before its data are read. The
        arrays may total no more data than the file holds (compressed members at most 32 times
        its size, or 16 MiB), so a small file cannot make ``load`` allocate gigabytes. No
        pickle is ever executed.

        Raises
        ------
        FileNotFoundError
            Missing file.
        ValueError
            Not a fastinit file of this class and format version, or any field out of place;
            the message names the field (``"'m.npz' is not a valid fastinit RBM file:
            components_: its header declares shape (5000000, 20), expected (n, 64)"``).

        Examples
        --------
        See :meth:`save`.
        """
        with open_archive(path, cls.__name__) as archive:
            return _rbm_file.read_rbm(archive, cls)

    # ------------------------------------------------------------------ scikit-learn glue

    @property
    def _n_features_out(self) -> int:
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The engine computes in float32; outputs follow the input's float dtype.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.visible == "bernoulli"
        return tags


def _is_str(value: Any, text: str) -> bool:
    return isinstance(value, str) and value == text
