"""scikit-learn's ``BernoulliRBM`` on fastinit's engine: :class:`BernoulliRBM`."""

from __future__ import annotations

import numpy as np

from ._random import RandomStateLike
from .rbm import RBM

__all__ = ["BernoulliRBM"]


class BernoulliRBM(RBM):
    """A drop-in for ``sklearn.neural_network.BernoulliRBM``, trained by fastinit's engine.

    The same parameters, defaults, attributes and algorithm as scikit-learn's estimator:
    persistent contrastive divergence with one Gibbs step (PCD-1) on ``batch_size`` fantasy
    chains, plain gradient steps (no momentum, no weight decay), mini-batches in the order of the
    rows. Change the import and keep the code::

        from fastinit import BernoulliRBM  # was: from sklearn.neural_network import BernoulliRBM

    What differs from scikit-learn, on purpose: the visible biases start at the log-odds of the
    data's means (Hinton 2010) instead of 0; ``score_samples`` is the exact pseudo-likelihood
    (scikit-learn flips one random unit per row: an unbiased but noisy estimate of the same
    quantity); mini-batches hold ``batch_size`` rows (the last one fewer) where scikit-learn cuts
    the rows into equal slices; ``partial_fit`` makes one pass over X in mini-batches, where
    scikit-learn makes one update on all of X; and the random numbers, hence the exact values of
    a seeded fit, are fastinit's. For fastinit's own algorithm (CD-k, momentum, weight decay,
    sparsity, Gaussian units, threads), use :class:`fastinit.RBM`.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.1
        Step size on the mean gradient of a mini-batch.
    batch_size : int, default=10
        Rows per mini-batch, and number of persistent chains.
    n_iter : int, default=10
        Epochs of ``fit``.
    verbose : int, default=0
        One line per epoch when 1, in scikit-learn's format.
    random_state : None, int, RandomState or Generator, default=None

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features), float32
    intercept_hidden_ : ndarray of shape (n_components,), float32
    intercept_visible_ : ndarray of shape (n_features,), float32
    h_samples_ : ndarray of shape (batch_size, n_components), float32
        Hidden states of the persistent chains.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit import BernoulliRBM
    >>> X = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    >>> model = BernoulliRBM(n_components=2, random_state=0).fit(X)
    >>> model.h_samples_.shape
    (10, 2)
    """

    # fastinit.RBM's parameters, fixed to scikit-learn's algorithm.
    n_visible = None
    visible = "bernoulli"
    k = 1
    persistent = True
    n_chains = None
    momentum = 0.0
    weight_decay = 0.0
    sparsity_target = None
    sparsity_cost = 0.1
    sparsity_decay = 0.95
    shuffle = False
    sample_visible = False
    init = "hinton"
    n_jobs = None
    monitor_every = 0
    _hidden_param = "n_components"

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_iter: int = 10,
        verbose: int = 0,
        random_state: RandomStateLike = None,
    ) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state

    @property
    def n_hidden(self) -> int:
        return self.n_components

    @property
    def h_samples_(self) -> np.ndarray:
        """Hidden states of the persistent chains (scikit-learn's name)."""
        return self.persistent_hidden_

    @classmethod
    def _layer_params(cls, n_visible: int, n_hidden: int) -> dict[str, int]:
        return {"n_components": n_hidden}
