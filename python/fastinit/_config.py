"""Build and runtime configuration report: :func:`show_config`."""

from __future__ import annotations

import platform
import sys
from typing import Any

import numpy as np


def get_config() -> dict[str, Any]:
    """Return fastinit's build and runtime configuration as a dictionary.

    Returns
    -------
    dict
        Keys ``version``, ``compiler``, ``dispatch`` (the vector code compiled in:
        "avx512+avx2+baseline" in an x86-64 Linux wheel), ``openmp`` (bool), ``max_threads``,
        ``blas`` (OpenBLAS build string), ``blas_threads`` (threads OpenBLAS itself may use;
        fastinit pins it to 1 and parallelizes with OpenMP), ``python``, ``numpy``, ``machine``.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.get_config()["openmp"]  # doctest: +SKIP
    True
    """
    from . import _core

    info = dict(_core.build_info())
    info["python"] = sys.version.split()[0]
    info["numpy"] = np.__version__
    info["machine"] = f"{platform.machine()} {platform.system()}"
    return info


def show_config() -> None:
    """Print fastinit's version, compiler, OpenMP and BLAS configuration.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.show_config()  # doctest: +SKIP
    fastinit 0.1.0
      compiler      GNU 12.2.0
      openmp        on (max threads 2)
      ...
    """
    info = get_config()
    openmp = f"on (max threads {info['max_threads']})" if info["openmp"] else "off (serial build)"
    print(f"fastinit {info['version']}")
    print(f"  compiler      {info['compiler']}")
    print(f"  openmp        {openmp}")
    print(f"  vector code   {info['dispatch']}")
    print(f"  blas          {info['blas']}")
    print(f"  blas threads  {info['blas_threads']} (fastinit parallelizes with OpenMP instead)")
    print(f"  python        {info['python']}, numpy {info['numpy']}, {info['machine']}")
