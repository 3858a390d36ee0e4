"""fastinit: start neural networks from good weights, fast.

Closed-form initializers (:mod:`fastinit.init`), restricted Boltzmann machine pretraining
(:class:`fastinit.RBM`) and greedy layer-wise pretraining, with a C++/OpenMP engine.

Examples
--------
>>> import fastinit
>>> from sklearn.datasets import load_digits
>>> X = load_digits().data / 16.0
>>> rbm = fastinit.RBM(64, 32, n_iter=2, random_state=0).fit(X)
>>> rbm.components_.shape
(32, 64)
"""

from ._blas import preload_openblas

preload_openblas()

import importlib  # noqa: E402
from typing import Any  # noqa: E402

from . import init  # noqa: E402
from ._config import get_config, show_config  # noqa: E402

__version__: str = get_config()["version"]

__all__ = ["DBN", "RBM", "BernoulliRBM", "__version__", "get_config", "init", "show_config"]

# The estimators import scikit-learn (about a second): loaded on first use (PEP 562), so that
# ``from fastinit import init`` stays cheap for torch users.
_LAZY = {"DBN": ".dbn", "RBM": ".rbm", "BernoulliRBM": ".bernoulli"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
