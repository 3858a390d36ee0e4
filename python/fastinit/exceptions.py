"""Warnings fastinit emits, to filter or catch by class (as ``sklearn.exceptions``)."""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning

__all__ = ["DataRangeWarning", "DeadUnitsWarning", "ForkWarning"]


class DataRangeWarning(UserWarning):
    """Data given to a Bernoulli RBM's inference methods lie outside [0, 1].

    The results are computed from the model's formulas, which extend to any real input, but the
    model was trained on probabilities: scale held-out data as the training data were, and clip
    them (``sklearn.preprocessing.MinMaxScaler(clip=True)``). Training refuses such data.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from fastinit import RBM
    >>> from fastinit.exceptions import DataRangeWarning
    >>> rbm = RBM.from_weights(np.zeros((2, 3)), np.zeros(3), np.zeros(2))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = rbm.transform([[0.0, 1.0, 2.0]])
    >>> caught[0].category is DataRangeWarning
    True
    """


class DeadUnitsWarning(ConvergenceWarning):
    """A trained layer has many hidden units stuck off (dead) or on (saturated).

    A subclass of scikit-learn's :class:`~sklearn.exceptions.ConvergenceWarning` (and so of
    ``UserWarning``): filters on either class silence it.

    Examples
    --------
    >>> import warnings
    >>> from fastinit.exceptions import DeadUnitsWarning
    >>> warnings.simplefilter("ignore", DeadUnitsWarning)
    """


class ForkWarning(UserWarning):
    """This process was forked after fastinit ran parallel work: it runs on one thread.

    OpenMP's thread pool does not survive ``fork()``: a child made by ``fork`` (the
    ``multiprocessing`` fork start method, PyTorch ``DataLoader`` workers on Linux, joblib's
    multiprocessing backend, pre-forking servers) would wait forever for its parent's threads.
    fastinit therefore runs every call of such a child on the calling thread, with the same
    results, and warns once per process. Start the workers with the ``"spawn"`` or
    ``"forkserver"`` method (``multiprocessing.get_context("spawn")``, ``DataLoader(...,
    multiprocessing_context="spawn")``) for several threads in each, or pass ``n_jobs=1`` to
    the models used in the workers, which silences the warning.

    Examples
    --------
    >>> import warnings
    >>> from fastinit.exceptions import ForkWarning
    >>> warnings.simplefilter("ignore", ForkWarning)
    """
