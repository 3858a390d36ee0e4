"""Processes, signals and threads: a forked child works, a huge n_jobs is capped, Ctrl-C stops
sampling, and one model used from two threads stays consistent.

Whatever could hang or end the process before these fixes (a forked child waiting for OpenMP
threads that do not exist, a sampling call that ignores Ctrl-C, thread creation failing) runs in
a child process with a time limit, so a regression fails the test instead of blocking the suite.
"""

import copy
import multiprocessing as mp
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from fastinit import DBN, RBM, _core
from fastinit._parallel import available_cpus, resolve_n_threads


def _data(rows=1000, cols=200, seed=0):
    return (np.random.default_rng(seed).random((rows, cols)) < 0.3).astype(np.float32)


def _run_script(code, timeout=180, **env):
    """(return code, stdout, stderr) of `code` in a fresh interpreter; a hang fails the test."""
    try:
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                             text=True, timeout=timeout, env={**os.environ, **env})  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the child process did not finish within {timeout} s: {exc.stderr!r}")
    return out.returncode, out.stdout, out.stderr


# ------------------------------------------------------------------------------------ 1. fork


def _workload(rbm, X):
    """Every kind of engine call, each large enough to open a parallel region with 2 threads."""
    other = copy.deepcopy(rbm)
    other.partial_fit(X)
    return {
        "transform": rbm.transform(X),
        "free_energy": rbm.free_energy(X),
        "score_samples": rbm.score_samples(X[:300]),
        "gibbs": rbm.gibbs(X[:600], n_steps=3, random_state=1),
        "sample": rbm.sample(600, n_steps=3),  # the model's own stream, as far in both
        "fit": RBM(200, 256, n_iter=1, n_jobs=2, random_state=3).fit(X).components_,
        "default_n_jobs": RBM(200, 64, n_iter=1, random_state=4).fit(X).components_,
        "partial_fit": other.components_,
        "ais": rbm.log_partition("ais", n_chains=64, n_betas=300, random_state=0).log_z,
    }


def _fork_child(conn, rbm, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = _workload(rbm, X)
    conn.send((results, [w.category.__name__ for w in caught]))
    conn.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() of a threaded process (3.12+)
def test_a_forked_child_runs_on_one_thread_with_the_same_results():
    """After a fit with 2 threads, a child made by fork() used to wait forever in libgomp on its
    first call; it now runs every call on one thread, warns once, and matches the parent."""
    X = _data()
    rbm = RBM(200, 256, n_iter=1, n_jobs=2, random_state=0).fit(X)
    ctx = mp.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_fork_child, args=(sender, rbm, X))
    child.start()
    sender.close()
    try:
        got = receiver.recv() if receiver.poll(120) else None
        child.join(60)
    finally:
        if child.is_alive():
            child.kill()
            child.join()
    assert got is not None, "the forked child hung"
    assert child.exitcode == 0
    results, caught = got
    assert caught == ["ForkWarning"]  # once, for the first call asking for threads
    assert not _core.forked_after_parallel()  # the parent itself keeps its threads
    expected = _workload(rbm, X)
    assert results.keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_array_equal(results[name], value, err_msg=name)


_DATALOADER = """
import numpy as np, torch, warnings
from fastinit import RBM

X = (np.random.default_rng(0).random((1000, 200)) < 0.3).astype(np.float32)
rbm = RBM(200, 256, n_iter=1, n_jobs=2, random_state=0).fit(X)
expected = [rbm.transform(X[100 * i : 100 * i + 500]) for i in range(4)]

class Features(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ForkWarning of each worker
            return torch.from_numpy(rbm.transform(X[100 * i : 100 * i + 500]))

loader = torch.utils.data.DataLoader(Features(), batch_size=None, num_workers=2, timeout=60,
                                     multiprocessing_context="fork")
for i, batch in enumerate(loader):
    assert np.array_equal(batch.numpy(), expected[i]), i
print("ok", i + 1)
"""


def test_torch_dataloader_workers_call_the_engine():
    """PyTorch DataLoader workers are forked (Linux): transform in a Dataset must work there."""
    pytest.importorskip("torch")
    code, out, err = _run_script(_DATALOADER, timeout=300)
    assert code == 0, err
    assert out.split() == ["ok", "4"]


# ------------------------------------------------------------------------------ 2. huge n_jobs


_HUGE_N_JOBS = """
import numpy as np
from fastinit import RBM, _core
X = (np.random.default_rng(0).random((600, 784)) < 0.13).astype(np.float32)

def everything(n_jobs):
    rbm = RBM(784, 256, n_iter=2, random_state=0, n_jobs=n_jobs).fit(X)
    rbm.partial_fit(X[:300])
    return [rbm.components_, rbm.transform(X), rbm.free_energy(X), rbm.score_samples(X[:50]),
            rbm.gibbs(X, n_steps=2, random_state=0), rbm.sample(600, n_steps=2),
            rbm.log_partition("ais", n_chains=200, n_betas=50, random_state=0).log_z]

for a, b in zip(everything(40000), everything(1), strict=True):
    assert np.array_equal(a, b)
rbm = RBM(784, 256, n_iter=1, random_state=0).fit(X)
_core.run_alone_for(0)  # forget the contention the oversubscribed fits met: form the team
stats = _core.train_epoch(
    X, rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_, rbm._velocity_W,
    rbm._velocity_a, rbm._velocity_c, None, rbm._hidden_mean, key=1, step=0, epoch=1,
    visible="bernoulli", k=1, persistent=False, learning_rate=0.1, momentum=0.5,
    weight_decay=0.0, sparsity_target=None, sparsity_cost=0.0, sparsity_decay=0.9,
    sample_visible=False, batch_size=100, shuffle=True, n_threads=40000)
counts = np.zeros(100_000, dtype=np.int64)
_core.parallel_blocks(counts, 40000)
assert np.all(counts == 1)
print(stats["team_size"])
"""


def test_a_huge_n_jobs_is_capped_and_gives_the_one_thread_results():
    """n_jobs=40000 used to open a region of thousands of threads (libgomp ends the process
    when it cannot create them). Teams now have at most 4 threads per usable CPU, in the
    engine too (a direct call asking for 40000), and the results are those of one thread."""
    code, out, err = _run_script(_HUGE_N_JOBS)
    assert code == 0, err
    team_size = int(out)
    assert 2 <= team_size <= 4 * len(os.sched_getaffinity(0))


def test_threads_are_capped_by_the_cpus_and_the_work():
    assert _core.THREADS_PER_CPU == 4
    assert _core.max_team_threads() == 4 * len(os.sched_getaffinity(0))
    assert resolve_n_threads(40000) == 4 * available_cpus()
    assert resolve_n_threads(2) == 2
    # A model too small for any loop to use a second thread opens no region for its epochs.
    small = RBM(16, 8, n_iter=1, random_state=0, n_jobs=2).fit(_data(300, 16))
    stats = _core.train_epoch(
        _data(300, 16), small.components_, small.intercept_visible_, small.intercept_hidden_,
        small._velocity_W, small._velocity_a, small._velocity_c, None, small._hidden_mean,
        key=1, step=0, epoch=1, visible="bernoulli", k=1, persistent=False, learning_rate=0.1,
        momentum=0.5, weight_decay=0.0, sparsity_target=None, sparsity_cost=0.0,
        sparsity_decay=0.9, sample_visible=False, batch_size=100, shuffle=True, n_threads=2,
    )  # fmt: skip
    assert stats["team_size"] == 1


# ------------------------------------------------------------------- 3. Ctrl-C while sampling


_INTERRUPTED_SAMPLING = """
import copy, os, signal, sys, threading, time
import numpy as np
from fastinit import RBM

# The test must not depend on how pytest was started (SIGINT ignored under nohup or `cmd &`).
signal.signal(signal.SIGINT, signal.default_int_handler)
X = (np.random.default_rng(0).random((500, 200)) < 0.3).astype(np.float32)
rbm = RBM(200, 128, n_iter=1, random_state=0).fit(X)
untouched = copy.deepcopy(rbm)
state = {name: copy.deepcopy(value) for name, value in vars(rbm).items() if name != "_model_lock"}

def interrupt():
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGINT)  # a real signal, as Ctrl-C sends

threading.Thread(target=interrupt, daemon=True).start()
start = time.perf_counter()
try:
    if sys.argv[1] == "sample":
        rbm.sample(500, n_steps=10**6)
    else:
        rbm.gibbs(X, n_steps=10**6)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - start)
else:
    print("completed", time.perf_counter() - start)
for name, value in state.items():
    if isinstance(value, np.ndarray):
        assert np.array_equal(getattr(rbm, name), value), name
    else:
        assert getattr(rbm, name) == value, name
# The model's stream did not move: its next samples are those of a copy made before.
assert np.array_equal(rbm.sample(20, n_steps=3), untouched.sample(20, n_steps=3))
print("unchanged")
"""


@pytest.mark.parametrize("method", ["sample", "gibbs"])
def test_ctrl_c_stops_sampling_and_leaves_the_model_unchanged(method):
    """SIGINT 0.5 s into a sampling call of 10^6 sweeps (hours of work) raises KeyboardInterrupt
    within about a second, leaving every attribute of the model, its random stream included, as
    it was. Before, the call ignored the signal (the child then overruns its time limit)."""
    code, out, err = _run_script(_INTERRUPTED_SAMPLING.replace("sys.argv[1]", repr(method)),
                                 timeout=120)  # fmt: skip
    assert code == 0, err
    words = out.split()
    assert words[0] == "interrupted" and words[2] == "unchanged", out
    assert float(words[1]) < 0.5 + 10  # loose: the machine is shared


# --------------------------------------------------------------------- 11. one model, threads


def _run_threads(targets, timeout=300):
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as exc:  # reported to the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert errors == []


def test_partial_fit_from_two_threads_counts_every_call():
    """Two threads calling partial_fit on one model used to interleave in the engine (lost
    updates, n_iter_ disagreeing with history_); the calls now run one after another, which on
    the same data gives exactly the model of 2N serial calls."""
    X = _data(2000, 64)
    params = dict(n_visible=64, n_hidden=32, batch_size=10, random_state=0, n_jobs=1)
    model = RBM(**params).partial_fit(X)
    n_calls = 10

    def train():
        for _ in range(n_calls):
            model.partial_fit(X)

    _run_threads([train, train])
    serial = RBM(**params).partial_fit(X)
    for _ in range(2 * n_calls):
        serial.partial_fit(X)
    assert model.n_iter_ == serial.n_iter_ == 1 + 2 * n_calls
    assert model._step == serial._step
    assert model.history_["epoch"] == list(range(1, model.n_iter_ + 1))
    assert all(len(values) == model.n_iter_ for values in model.history_.values())
    for name in ("components_", "intercept_visible_", "intercept_hidden_", "_velocity_W"):
        np.testing.assert_array_equal(getattr(model, name), getattr(serial, name), err_msg=name)


class _SlowStreamRBM(RBM):
    """An RBM whose random-stream position takes a while to read, as any attribute may when
    the GIL passes to another thread between a read and the write after it."""

    @property
    def _gibbs_calls(self):
        time.sleep(0.002)
        return self.__dict__["_slow_gibbs_calls"]

    @_gibbs_calls.setter
    def _gibbs_calls(self, value):
        self.__dict__["_slow_gibbs_calls"] = value


def test_concurrent_sample_calls_get_distinct_streams():
    """sample() continuing the model's stream from two threads: every call takes its own call
    index (read and advanced under the model's lock), so the samples are exactly those of the
    same calls made serially; before, both threads could read the same index."""
    X = _data(300, 32)
    model = _SlowStreamRBM(32, 16, n_iter=1, random_state=0, n_jobs=1).fit(X)
    serial = RBM(32, 16, n_iter=1, random_state=0, n_jobs=1).fit(X)
    n_calls, got = 20, []
    _run_threads([lambda: got.extend(model.sample(4, n_steps=1) for _ in range(n_calls))] * 2)
    expected = [serial.sample(4, n_steps=1) for _ in range(2 * n_calls)]
    assert model._gibbs_calls == serial._gibbs_calls
    assert sorted(a.tobytes() for a in got) == sorted(a.tobytes() for a in expected)


def _blocking_init(entered, release):
    """An init callable whose first call holds its fit until `release` is set."""

    def init(shape, rng):
        entered.append(threading.current_thread().name)
        if len(entered) == 1:
            assert release.wait(60)
        return rng.normal(0.0, 0.01, size=shape)

    return init


@pytest.mark.parametrize("kind", ["RBM", "DBN"])
def test_a_second_fit_waits_for_the_first(kind):
    """While one thread's fit is inside the model (held in its init callable), another
    thread's fit of the same model does not start; it runs once the first has returned."""
    X = _data(300, 16)
    entered, release = [], threading.Event()
    init = _blocking_init(entered, release)
    if kind == "RBM":
        model, n_layers = RBM(16, 8, n_iter=1, init=init, random_state=0, n_jobs=1), 1
    else:
        rbm_params = {"n_iter": 1, "init": init}
        model, n_layers = DBN((16, 8, 4), rbm_params=rbm_params, random_state=0, n_jobs=1), 2
    first = threading.Thread(target=model.fit, args=(X,), name="first")
    second = threading.Thread(target=model.fit, args=(X,), name="second")
    first.start()
    try:
        for _ in range(600):
            if entered:
                break
            first.join(0.1)
        assert entered == ["first"]
        second.start()
        second.join(0.5)
        assert entered == ["first"]  # the second fit waits for the model
        assert second.is_alive()
    finally:
        release.set()
        for thread in (first, second):
            if thread.ident is not None:
                thread.join(60)
    assert not first.is_alive() and not second.is_alive()
    assert entered == ["first"] * n_layers + ["second"] * n_layers


def test_the_lock_is_no_parameter_and_stays_out_of_copies():
    """The lock exists once a model has been trained, yet pickling, copying and cloning work,
    and each copy has its own lock."""
    from fastinit._locking import model_lock

    X = _data(300, 16)
    for model in (RBM(16, 8, n_iter=1, random_state=0, n_jobs=1),
                  DBN((16, 8, 4), rbm_params={"n_iter": 1}, random_state=0, n_jobs=1)):  # fmt: skip
        model.fit(X)
        lock = model_lock(model)
        assert "_model_lock" in vars(model)
        assert "_model_lock" not in model.get_params()
        for twin in (pickle.loads(pickle.dumps(model)), copy.copy(model), copy.deepcopy(model)):
            assert "_model_lock" not in vars(twin)
            assert model_lock(twin) is not lock
            np.testing.assert_array_equal(twin.transform(X), model.transform(X))
        assert clone(model).get_params() == model.get_params()
        assert "_model_lock" in vars(model)  # pickling did not take it from the original
