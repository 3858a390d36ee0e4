"""Load the BLAS that ``fastinit._core`` links against before the extension itself.

The extension finds ``libscipy_openblas.so`` through an rpath relative to site-packages. Loading the
library by absolute path first makes the import work from any layout (editable installs, vendored
copies) because the dynamic loader then resolves the extension's dependency by its soname.
"""

from __future__ import annotations

import ctypes
import os


def preload_openblas() -> str:
    """Load scipy-openblas32's shared library globally and return its path."""
    import scipy_openblas32

    path = os.path.join(scipy_openblas32.get_lib_dir(), scipy_openblas32.get_library(True))
    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    return path
