"""Thread counts on shared machines: the CPUs a process may use, and training that completes on
a loaded core.

The quota tests read a fake /proc and cgroup tree for each cgroup layout, then, where the
machine allows it (root, a cgroup v1 ``cpu`` controller), a real cgroup with a CPU quota and a
process inside it. The load tests hold a core with a spinning process (ended by its id) or a
second training process, and assert only that training completes on the threads chosen: speed
under load is measured in bench/bench_rbm.py, not here.
"""

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pytest

from fastinit import RBM, _core
from fastinit._parallel import available_cpus, cgroup_cpu_limit, resolve_n_threads

# ---------------------------------------------------------------------------- fake cgroup trees


def _tree(tmp_path, mounts, cgroup, files):
    (tmp_path / "proc/self").mkdir(parents=True)
    lines = [f"{30 + i} 20 0:{i} {root} {point} rw - {fstype} {fstype} {options}"
             for i, (fstype, root, point, options) in enumerate(mounts)]  # fmt: skip
    (tmp_path / "proc/self/mountinfo").write_text("\n".join(lines) + "\n")
    (tmp_path / "proc/self/cgroup").write_text(cgroup)
    for name, text in files.items():
        path = tmp_path / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


V2 = [("cgroup2", "/", "/sys/fs/cgroup", "rw")]


def test_cgroup_v2_limit_is_the_smallest_on_the_path(tmp_path):
    root = _tree(tmp_path, V2, "0::/kubepods/pod1/ctr\n", {
        "/sys/fs/cgroup/cpu.max": "max 100000\n",
        "/sys/fs/cgroup/kubepods/cpu.max": "400000 100000\n",
        "/sys/fs/cgroup/kubepods/pod1/cpu.max": "max 100000\n",
        "/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max": "150000 100000\n",
    })  # fmt: skip
    assert cgroup_cpu_limit(root) == 1.5


def test_cgroup_v2_parent_limit_binds_a_child_without_one(tmp_path):
    root = _tree(tmp_path, V2, "0::/slice/job\n", {
        "/sys/fs/cgroup/slice/cpu.max": "200000 100000\n",
        "/sys/fs/cgroup/slice/job/cpu.max": "max 100000\n",
    })  # fmt: skip
    assert cgroup_cpu_limit(root) == 2.0


def test_cgroup_v2_in_a_container_namespace(tmp_path):
    """Inside a container the process's cgroup is '/' and the mount shows the container's."""
    root = _tree(tmp_path, V2, "0::/\n", {"/sys/fs/cgroup/cpu.max": "200000 100000\n"})
    assert cgroup_cpu_limit(root) == 2.0


def test_cgroup_v1_cpu_controller_with_a_mount_root(tmp_path):
    mounts = [
        ("cgroup", "/", "/sys/fs/cgroup/memory", "rw,memory"),
        ("cgroup", "/docker/abc", "/sys/fs/cgroup/cpu,cpuacct", "rw,cpu,cpuacct"),
    ]
    cgroup = "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc/inner\n"
    root = _tree(tmp_path, mounts, cgroup, {
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "300000\n",
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
        "/sys/fs/cgroup/cpu,cpuacct/inner/cpu.cfs_quota_us": "-1\n",
        "/sys/fs/cgroup/cpu,cpuacct/inner/cpu.cfs_period_us": "100000\n",
    })  # fmt: skip
    assert cgroup_cpu_limit(root) == 3.0


def test_mountinfo_with_optional_fields_escapes_and_a_hybrid_layout(tmp_path):
    """Real mountinfo lines carry optional fields before ' - ' and escape spaces as \\040; a
    hybrid host mounts cgroup v1 controllers beside a v2 hierarchy."""
    lines = [
        "25 30 0:22 / /sys/fs/cgroup rw,nosuid shared:9 - tmpfs tmpfs ro,mode=755",
        "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw",
        "27 25 0:24 / /sys/fs/cgroup/cpu\\040and\\040more rw master:2 shared:11 - cgroup cgroup "
        "rw,cpu,cpuacct",
        "not a mountinfo line",
    ]
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/mountinfo").write_text("\n".join(lines) + "\n")
    (tmp_path / "proc/self/cgroup").write_text("garbage\n4:cpu,cpuacct:/job\n0::/job\n")
    v1 = tmp_path / "sys/fs/cgroup/cpu and more/job"
    v1.mkdir(parents=True)
    (v1 / "cpu.cfs_quota_us").write_text("250000\n")
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    v2 = tmp_path / "sys/fs/cgroup/unified/job"
    v2.mkdir(parents=True)
    (v2 / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 2.5


@pytest.mark.parametrize("cpu_max", ["max 100000\n", "", "garbage\n", "1.5 x\n", "-1 100000\n"])
def test_no_or_unreadable_quota_means_no_limit(tmp_path, cpu_max):
    root = _tree(tmp_path, V2, "0::/a\n", {"/sys/fs/cgroup/a/cpu.max": cpu_max})
    assert cgroup_cpu_limit(root) is None
    assert cgroup_cpu_limit(tmp_path / "nowhere") is None


# ----------------------------------------------------------------------- OpenMP's own limits


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120, env={**os.environ, **env}, check=True)  # fmt: skip
    return out.stdout.split()


def test_omp_num_threads_caps_the_default():
    code = "from fastinit._parallel import resolve_n_threads; print(resolve_n_threads(None))"
    assert _run(code, OMP_NUM_THREADS="1") == ["1"]


def test_threadpool_limits_cap_the_default():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rbm = RBM(16, 8, n_iter=1, random_state=0)
    X = (np.random.default_rng(0).random((300, 16)) < 0.5).astype(np.float32)
    with threadpoolctl.threadpool_limits(1):
        assert resolve_n_threads(None) == 1
        rbm.fit(X)
    assert resolve_n_threads(None) == min(available_cpus(), _core.max_threads())


def test_negative_n_jobs_counts_back_from_the_available_cpus():
    assert resolve_n_threads(-1) == available_cpus()
    assert resolve_n_threads(-available_cpus() - 5) == 1


# ----------------------------------------------------------------------- a real CPU quota


def _cpu_cgroup_v1():
    """The writable cgroup v1 cpu hierarchy this process sits at the root of, or None."""
    if os.geteuid() != 0:
        return None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(",") and path == "/":
            for candidate in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/cpu,cpuacct")):
                if (candidate / "cpu.cfs_quota_us").exists() and os.access(candidate, os.W_OK):
                    return candidate
    return None


@pytest.mark.parametrize("quota, expected", [(100_000, 1), (150_000, 2)])
def test_default_threads_resolve_to_a_real_cgroup_quota(quota, expected):
    hierarchy = _cpu_cgroup_v1()
    if hierarchy is None:
        pytest.skip("needs root and a writable cgroup v1 cpu controller")
    if available_cpus() < expected:
        pytest.skip(f"needs {expected} CPUs")
    group = hierarchy / f"fastinit-test-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text(str(quota))
        code = f"""
            import os, sys, numpy as np
            open("{group}/cgroup.procs", "w").write(str(os.getpid()))
            from fastinit import RBM, _core
            from fastinit._parallel import resolve_n_threads
            X = (np.random.default_rng(0).random((500, 64)) < 0.3).astype(np.float32)
            rbm = RBM(64, 256, n_iter=1, random_state=0).fit(X)
            sys.path.insert(0, "{Path(__file__).parent}")
            from test_parallel import _train_stats
            print(resolve_n_threads(None),
                  _train_stats(rbm, X, resolve_n_threads(None))["team_size"])
        """
        assert _run(code) == [str(expected), str(expected)]
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            (hierarchy / "cgroup.procs").write_text(pid)  # leave nothing behind
        group.rmdir()


# ----------------------------------------------------------------------- a loaded machine


_TRAIN_AND_HASH = """
import hashlib, sys, numpy as np
from fastinit import RBM
X = (np.random.default_rng(0).random((2000, 784)) < 0.13).astype(np.float32)
n_jobs = None if sys.argv[1] == "default" else int(sys.argv[1])
rbm = RBM(784, 256, n_iter=3, random_state=0, n_jobs=n_jobs).fit(X)
print(hashlib.sha256(rbm.components_.tobytes()).hexdigest())
"""


def _trainers(n_jobs, count=1, **env):
    return [subprocess.Popen([sys.executable, "-c", _TRAIN_AND_HASH, n_jobs], text=True,
                             stdout=subprocess.PIPE, env={**os.environ, **env})
            for _ in range(count)]  # fmt: skip


def _hashes(processes):
    """Each process's output, or a failure (not a hang) when one takes over 5 minutes."""
    outputs = [p.communicate(timeout=300)[0].split() for p in processes]
    assert [p.returncode for p in processes] == [0] * len(processes)
    return outputs


@pytest.fixture
def spinning_core():
    """A process spinning on the first CPU of this process's affinity, ended by its id."""
    cpu = min(os.sched_getaffinity(0))
    code = f"import os; os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"
    spinner = subprocess.Popen([sys.executable, "-c", code])
    try:
        yield spinner.pid
    finally:
        os.kill(spinner.pid, 9)
        spinner.wait()


@pytest.fixture(scope="module")
def one_thread_hash():
    return _hashes(_trainers("1"))[0]


def test_training_completes_beside_a_spinning_core(spinning_core, one_thread_hash):
    assert _hashes(_trainers("default")) == [one_thread_hash]  # the default n_jobs
    assert os.waitpid(spinning_core, os.WNOHANG) == (0, 0)  # the load was there throughout


def test_two_training_processes_complete_side_by_side(one_thread_hash):
    assert _hashes(_trainers("default", count=2)) == [one_thread_hash] * 2


def test_a_team_with_fewer_openmp_threads_than_asked(one_thread_hash):
    """OpenMP may grant a region fewer threads than asked (OMP_THREAD_LIMIT, nested pools)."""
    assert _hashes(_trainers("8", OMP_THREAD_LIMIT="1")) == [one_thread_hash]
    assert _hashes(_trainers("8", OMP_THREAD_LIMIT="2")) == [one_thread_hash]


def _train_stats(rbm, X, n_threads):
    return _core.train_epoch(
        X, rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_, rbm._velocity_W,
        rbm._velocity_a, rbm._velocity_c, None, rbm._hidden_mean, key=1, step=0, epoch=1,
        visible="bernoulli", k=1, persistent=False, learning_rate=0.1, momentum=0.5,
        weight_decay=0.0, sparsity_target=None, sparsity_cost=0.0, sparsity_decay=0.9,
        sample_visible=False, batch_size=100, shuffle=True, n_threads=n_threads,
    )  # fmt: skip


def test_after_contention_every_call_runs_alone_with_the_same_results():
    """Once a worker has been found descheduled, the engine's loops run on the calling thread
    alone for a while; forced here, every entry point must give the team's results."""
    X = (np.random.default_rng(1).random((700, 100)) < 0.2).astype(np.float32)

    def everything():
        rbm = RBM(100, 300, n_iter=2, random_state=0, n_jobs=2).fit(X)
        return [rbm.components_, rbm.transform(X), rbm.free_energy(X), rbm.score_samples(X),
                     rbm.gibbs(X, n_steps=2, random_state=0), _core.value_range(X, 2),
                     rbm.log_partition("ais", n_betas=100, random_state=0).log_z]  # fmt: skip

    team = everything()
    _core.run_alone_for(600)
    try:
        alone = everything()
    finally:
        _core.run_alone_for(0)
    for a, b in zip(team, alone, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_every_block_runs_once_and_errors_reach_the_caller(n_threads, alone):
    """The engine's parallel loop (blocks handed to whichever threads run): every block runs
    exactly once, and an exception in one block reaches Python after all blocks ran."""
    if alone:
        _core.run_alone_for(600)
    try:
        for n in (1, 2, 7, 1000):
            counts = np.zeros(n, dtype=np.int64)
            _core.parallel_blocks(counts, n_threads)
            np.testing.assert_array_equal(counts, 1)
            counts[:] = 0
            with pytest.raises(RuntimeError, match=f"block {n // 2} failed"):
                _core.parallel_blocks(counts, n_threads, fail_at=n // 2)
            np.testing.assert_array_equal(counts, 1)
    finally:
        _core.run_alone_for(0)
