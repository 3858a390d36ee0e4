// pybind11 module fastinit._core: argument checks, GIL release, conversions. No algorithms.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ais.hpp"
#include "binary.hpp"
#include "blas.hpp"
#include "dispatch.hpp"
#include "parallel.hpp"
#include "rbm.hpp"
#include "rng.hpp"
#include "vmath.hpp"

namespace py = pybind11;
using namespace fastinit;

namespace {

// Parameters and training state are updated in place, so they must already be float32 and
// C-contiguous: pybind11 may not hand us a converted copy (the update would be lost).
using F32 = py::array_t<float, py::array::c_style>;

[[noreturn]] void value_error(const std::string& message) { throw py::value_error(message); }

void check_shape(const py::array& a, std::initializer_list<std::int64_t> shape, const char* name) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  std::string expected = "(";
  std::size_t d = 0;
  for (const std::int64_t n : shape) {
    if (ok && a.shape(d) != n) ok = false;
    expected += std::to_string(n) + (d + 1 < shape.size() ? ", " : shape.size() == 1 ? "," : "");
    ++d;
  }
  expected += ")";
  if (!ok) value_error(std::string(name) + " must have shape " + expected);
}

float* writable(F32& a, const char* name) {
  if (!a.writeable()) value_error(std::string(name) + " must be a writable array");
  return a.mutable_data();
}

VisibleType parse_visible(const std::string& visible) {
  if (visible == "bernoulli") return VisibleType::Bernoulli;
  if (visible == "gaussian") return VisibleType::Gaussian;
  value_error("visible must be 'bernoulli' or 'gaussian', got '" + visible + "'");
}

Model make_model(const F32& W, const F32& a, const F32& c, const std::string& visible) {
  if (W.ndim() != 2) value_error("W must be a 2-D array (n_hidden, n_visible)");
  Model m;
  m.n_hidden = W.shape(0);
  m.n_visible = W.shape(1);
  check_shape(a, {m.n_visible}, "a");
  check_shape(c, {m.n_hidden}, "c");
  // Inference only reads the parameters; train_epoch checks writability separately.
  m.W = const_cast<float*>(W.data());
  m.a = const_cast<float*>(a.data());
  m.c = const_cast<float*>(c.data());
  m.visible = parse_visible(visible);
  return m;
}

DType engine_dtype(const py::dtype& dt, const char* name) {
  if (dt.kind() == 'f' && dt.itemsize() == 4) return DType::Float32;
  if (dt.kind() == 'f' && dt.itemsize() == 8) return DType::Float64;
  if (dt.kind() == 'u' && dt.itemsize() == 1) return DType::UInt8;
  if (dt.kind() == 'b') return DType::Bool;
  throw py::type_error(std::string(name) + " must be float32, float64, uint8 or bool, got " +
                       py::str(dt).cast<std::string>());
}

// A dense 2-D array or a scipy.sparse CSR matrix as the engine reads it: the view, and the
// arrays it points into, held for the call.
struct EngineInput {
  DataView view;
  py::array values, indices, indptr;
};

EngineInput sparse_data(const py::object& X, const char* name) {
  EngineInput d;
  d.values = py::array::ensure(X.attr("data"));
  d.indices = py::array::ensure(X.attr("indices"));
  d.indptr = py::array::ensure(X.attr("indptr"));
  const auto shape = X.attr("shape").cast<std::pair<std::int64_t, std::int64_t>>();
  const py::array &values = d.values, &indices = d.indices, &indptr = d.indptr;
  const auto index_bytes = [](const py::array& a) {
    const py::dtype dt = a.dtype();
    return dt.kind() == 'i' && (dt.itemsize() == 4 || dt.itemsize() == 8) ? dt.itemsize() : 0;
  };
  const auto contiguous = [](const py::array& a) {
    return a && a.ndim() == 1 && (a.flags() & py::array::c_style);
  };
  if (!contiguous(values) || !contiguous(indices) || !contiguous(indptr) ||
      index_bytes(indices) == 0 || index_bytes(indices) != index_bytes(indptr) ||
      indptr.shape(0) != shape.first + 1 || indices.shape(0) != values.shape(0))
    value_error(std::string(name) + ": malformed CSR matrix");
  DataView& v = d.view;
  v.data = static_cast<const char*>(values.data());
  v.dtype = engine_dtype(values.dtype(), name);
  v.rows = shape.first;
  v.cols = shape.second;
  v.sparse = {indptr.data(), indices.data(), index_bytes(indices) == 8, values.shape(0)};
  v.check_sparse_index();
  return d;
}

EngineInput data_view(const py::object& X, std::int64_t n_cols, const char* name) {
  const bool csr = py::hasattr(X, "indptr") && py::hasattr(X, "format") &&
                   X.attr("format").cast<std::string>() == "csr";
  EngineInput d;
  if (csr) {
    d = sparse_data(X, name);
  } else {
    const auto a = py::array::ensure(X);
    if (!a || a.ndim() != 2) value_error(std::string(name) + " must be a 2-D array");
    d.values = a;
    DataView& v = d.view;
    v.data = static_cast<const char*>(a.data());
    v.dtype = engine_dtype(a.dtype(), name);
    v.rows = a.shape(0);
    v.cols = a.shape(1);
    v.row_stride = a.strides(0);
    v.col_stride = a.strides(1);
  }
  if (n_cols >= 0 && d.view.cols != n_cols)
    value_error(std::string(name) + " has " + std::to_string(d.view.cols) + " columns, expected " +
                std::to_string(n_cols));
  return d;
}

int check_threads(int n_threads) {
  if (n_threads < 1) value_error("n_threads must be >= 1");
  return n_threads;
}

// Ctrl-C for long loops: Python's handler only sets a flag; polled on the calling thread between
// parallel rounds or mini-batches.
bool poll_interrupt() {
  py::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;
}

py::dict py_train_epoch(const py::object& X, F32 W, F32 a, F32 c, F32 velocity_W, F32 velocity_a,
                     F32 velocity_c, std::optional<F32> chain_hidden, F32 hidden_mean,
                     std::uint64_t key, std::uint64_t step, std::uint64_t epoch,
                     const std::string& visible, int k, bool persistent, float learning_rate,
                     float momentum, float weight_decay, std::optional<float> sparsity_target,
                     float sparsity_cost, float sparsity_decay, bool sample_visible,
                     std::int64_t batch_size, bool shuffle, int n_threads) {
  Model m = make_model(W, a, c, visible);
  m.W = writable(W, "W");
  m.a = writable(a, "a");
  m.c = writable(c, "c");
  const EngineInput held = data_view(X, m.n_visible, "X");
  const DataView& data = held.view;
  if (data.rows < 1) value_error("X must have at least one row");
  if (k < 1 || k > 30000) value_error("k must be in [1, 30000]");
  if (batch_size < 1) value_error("batch_size must be >= 1");

  TrainState state;
  check_shape(velocity_W, {m.n_hidden, m.n_visible}, "velocity_W");
  check_shape(velocity_a, {m.n_visible}, "velocity_a");
  check_shape(velocity_c, {m.n_hidden}, "velocity_c");
  check_shape(hidden_mean, {m.n_hidden}, "hidden_mean");
  state.velocity_W = writable(velocity_W, "velocity_W");
  state.velocity_a = writable(velocity_a, "velocity_a");
  state.velocity_c = writable(velocity_c, "velocity_c");
  state.hidden_mean = writable(hidden_mean, "hidden_mean");
  if (persistent) {
    if (!chain_hidden) value_error("persistent training needs chain_hidden");
    if (chain_hidden->ndim() != 2 || chain_hidden->shape(1) != m.n_hidden || chain_hidden->shape(0) < 1)
      value_error("chain_hidden must have shape (n_chains, n_hidden)");
    state.chain_hidden = writable(*chain_hidden, "chain_hidden");
    state.n_chains = chain_hidden->shape(0);
  }
  state.key = key;
  state.step = step;

  TrainConfig cfg;
  cfg.k = k;
  cfg.persistent = persistent;
  cfg.learning_rate = learning_rate;
  cfg.momentum = momentum;
  cfg.weight_decay = weight_decay;
  cfg.use_sparsity = sparsity_target.has_value();
  cfg.sparsity_target = sparsity_target.value_or(0.0f);
  cfg.sparsity_cost = sparsity_cost;
  cfg.sparsity_decay = sparsity_decay;
  cfg.sample_visible = sample_visible;
  cfg.batch_size = batch_size;
  cfg.shuffle = shuffle;
  cfg.n_threads = check_threads(n_threads);

  EpochStats stats;
  {
    py::gil_scoped_release nogil;
    stats = train_epoch(m, state, cfg, data, epoch, poll_interrupt);
  }
  py::dict out;
  out["reconstruction_error"] = stats.reconstruction_error;
  out["free_energy"] = stats.free_energy;
  out["n_batches"] = stats.n_batches;
  out["step"] = state.step;
  out["interrupted"] = stats.interrupted;
  out["team_size"] = stats.team_size;
  out["hidden_activation"] = py::array_t<double>(static_cast<py::ssize_t>(stats.hidden_activation.size()),
                                                 stats.hidden_activation.data());
  if (stats.interrupted) {
    // The KeyboardInterrupt is pending from PyErr_CheckSignals; the caller records the
    // completed mini-batches (stats above) before re-raising it.
    out["error"] = py::reinterpret_steal<py::object>([] {
      PyObject *type, *value, *tb;
      PyErr_Fetch(&type, &value, &tb);
      PyErr_NormalizeException(&type, &value, &tb);
      if (tb) PyException_SetTraceback(value, tb);
      Py_XDECREF(type);
      Py_XDECREF(tb);
      return value;
    }());
  }
  return out;
}

py::array_t<float> py_hidden_probabilities(const py::object& X, const F32& W, const F32& c,
                                        int n_threads) {
  const F32 a_dummy(std::vector<py::ssize_t>{W.ndim() == 2 ? W.shape(1) : 0});
  const Model m = make_model(W, a_dummy, c, "bernoulli");
  const EngineInput held = data_view(X, m.n_visible, "X");
  const DataView& data = held.view;
  py::array_t<float> out({data.rows, m.n_hidden});
  float* dst = out.mutable_data();
  check_threads(n_threads);
  py::gil_scoped_release nogil;
  hidden_probabilities(m, data, dst, n_threads);
  return out;
}

py::array_t<float> py_visible_means(const F32& hidden, const F32& W, const F32& a,
                                 const std::string& visible, int n_threads) {
  const F32 c_dummy(std::vector<py::ssize_t>{W.ndim() == 2 ? W.shape(0) : 0});
  const Model m = make_model(W, a, c_dummy, visible);
  if (hidden.ndim() != 2 || hidden.shape(1) != m.n_hidden)
    value_error("H must have shape (n_samples, " + std::to_string(m.n_hidden) + ")");
  const std::int64_t rows = hidden.shape(0);
  py::array_t<float> out({rows, m.n_visible});
  float* dst = out.mutable_data();
  check_threads(n_threads);
  py::gil_scoped_release nogil;
  visible_means(m, hidden.data(), rows, dst, n_threads);
  return out;
}

py::array_t<double> py_free_energy(const py::object& X, const F32& W, const F32& a, const F32& c,
                                const std::string& visible, int n_threads) {
  const Model m = make_model(W, a, c, visible);
  const EngineInput held = data_view(X, m.n_visible, "X");
  const DataView& data = held.view;
  py::array_t<double> out(data.rows);
  double* dst = out.mutable_data();
  check_threads(n_threads);
  py::gil_scoped_release nogil;
  free_energy(m, data, dst, n_threads);
  return out;
}

py::array_t<double> py_pseudo_likelihood(const py::object& X, const F32& W, const F32& a, const F32& c,
                                      int n_threads) {
  const Model m = make_model(W, a, c, "bernoulli");
  const EngineInput held = data_view(X, m.n_visible, "X");
  const DataView& data = held.view;
  py::array_t<double> out(data.rows);
  double* dst = out.mutable_data();
  check_threads(n_threads);
  py::gil_scoped_release nogil;
  pseudo_likelihood(m, data, dst, n_threads);
  return out;
}

void py_gibbs(F32 visible_states, const F32& W, const F32& a, const F32& c, const std::string& visible,
           std::int64_t n_steps, std::uint64_t key, std::uint64_t call, int n_threads) {
  const Model m = make_model(W, a, c, visible);
  if (visible_states.ndim() != 2 || visible_states.shape(1) != m.n_visible)
    value_error("V must have shape (n_samples, " + std::to_string(m.n_visible) + ")");
  if (n_steps < 0) value_error("n_steps must be >= 0");
  if (call >= (std::uint64_t{1} << 24)) value_error("call must be < 2**24");
  float* v = writable(visible_states, "V");
  const std::int64_t rows = visible_states.shape(0);
  check_threads(n_threads);
  try {
    py::gil_scoped_release nogil;
    gibbs(m, v, rows, n_steps, key, call, n_threads, poll_interrupt);
  } catch (const Interrupted&) {
    throw py::error_already_set();  // the KeyboardInterrupt set by PyErr_CheckSignals
  }
}

// Test hooks: the exact random numbers the engine draws, so NumPy references can replay them.
py::array_t<float> random_matrix(std::uint64_t key, std::uint64_t stream, std::int64_t rows,
                                 std::int64_t cols, bool normal) {
  if (rows < 0 || cols < 0) value_error("rows and cols must be >= 0");
  py::array_t<float> out({rows, cols});
  float* dst = out.mutable_data();
  const CounterRng rng(key, stream);
  for (std::int64_t r = 0; r < rows; ++r) {
    if (normal) rng.normal_row(static_cast<std::uint64_t>(r), 0, cols, dst + r * cols);
    else rng.uniform_row(static_cast<std::uint64_t>(r), 0, cols, dst + r * cols);
  }
  return out;
}

py::array_t<float> elementwise(const std::string& name, const py::array_t<float, py::array::c_style | py::array::forcecast>& x) {
  py::array_t<float> out(x.size());
  const float* src = x.data();
  float* dst = out.mutable_data();
  const py::ssize_t n = x.size();
  if (name == "exp") for (py::ssize_t i = 0; i < n; ++i) dst[i] = exp_approx(src[i]);
  else if (name == "sigmoid") for (py::ssize_t i = 0; i < n; ++i) dst[i] = sigmoid(src[i]);
  else if (name == "softplus") for (py::ssize_t i = 0; i < n; ++i) dst[i] = softplus(src[i]);
  else value_error("name must be 'exp', 'sigmoid' or 'softplus'");
  return out;
}

// ---- partition function (csrc/ais.cpp) ----

double py_exact_log_partition(const F32& W, const F32& a, const F32& c, const std::string& visible,
                              int n_threads) {
  const Model m = make_model(W, a, c, visible);
  check_threads(n_threads);
  try {
    py::gil_scoped_release nogil;
    return exact_log_partition(m, n_threads, poll_interrupt);
  } catch (const Interrupted&) {
    throw py::error_already_set();  // the KeyboardInterrupt set by PyErr_CheckSignals
  }
}

py::tuple py_ais_log_partition(const F32& W, const F32& a, const F32& c, const std::string& visible,
                               const F32& base_visible_bias, std::int64_t n_chains,
                               const py::array_t<double, py::array::c_style | py::array::forcecast>& betas,
                               std::uint64_t key, std::uint64_t call, int n_threads) {
  const Model m = make_model(W, a, c, visible);
  check_shape(base_visible_bias, {m.n_visible}, "base_visible_bias");
  if (betas.ndim() != 1) value_error("betas must be a 1-D array");
  const std::vector<double> schedule(betas.data(), betas.data() + betas.size());
  check_threads(n_threads);
  AisResult result;
  try {
    py::gil_scoped_release nogil;
    result = ais_log_partition(m, base_visible_bias.data(), n_chains, schedule, key, call,
                               n_threads, poll_interrupt);
  } catch (const Interrupted&) {
    throw py::error_already_set();
  }
  py::array_t<double> log_weights(static_cast<py::ssize_t>(result.log_weights.size()));
  std::copy(result.log_weights.begin(), result.log_weights.end(), log_weights.mutable_data());
  return py::make_tuple(log_weights, result.log_z_base);
}

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  m.doc() = "fastinit's compiled engine (private: use fastinit.RBM and friends).";
  blas::pin_single_thread();

  m.def("build_info", [] {
    py::dict info;
    info["version"] = FASTINIT_VERSION;
    info["compiler"] = FASTINIT_COMPILER;
    info["dispatch"] = kDispatch;
    info["openmp"] = openmp_enabled();
    info["max_threads"] = max_threads();
    info["blas"] = blas::config();
    info["blas_threads"] = blas::num_threads();
    return info;
  });

  m.def("max_threads", &max_threads, "Threads an OpenMP region starts by default (OMP_NUM_THREADS, threadpoolctl).");
  m.attr("THREADS_PER_CPU") = kThreadsPerCpu;
  m.def("max_team_threads", &max_team_threads,
        "Most threads an engine call runs on: THREADS_PER_CPU per CPU of the affinity mask.");
  m.def("forked_after_parallel", &forked_after_parallel,
        "Whether this process is a fork of one that ran the engine's threads (it then runs on "
        "one thread: OpenMP's pool does not survive fork).");

  m.def("train_epoch", &py_train_epoch, py::arg("X"), py::arg("W").noconvert(),
        py::arg("a").noconvert(), py::arg("c").noconvert(), py::arg("velocity_W").noconvert(),
        py::arg("velocity_a").noconvert(), py::arg("velocity_c").noconvert(),
        py::arg("chain_hidden").noconvert(), py::arg("hidden_mean").noconvert(), py::kw_only(),
        py::arg("key"), py::arg("step"), py::arg("epoch"), py::arg("visible"), py::arg("k"),
        py::arg("persistent"), py::arg("learning_rate"), py::arg("momentum"),
        py::arg("weight_decay"), py::arg("sparsity_target"), py::arg("sparsity_cost"),
        py::arg("sparsity_decay"), py::arg("sample_visible"), py::arg("batch_size"),
        py::arg("shuffle"), py::arg("n_threads"),
        "One pass of CD-k / PCD over X in mini-batches; updates the arrays in place.");
  m.def("hidden_probabilities", &py_hidden_probabilities, py::arg("X"), py::arg("W").noconvert(),
        py::arg("c").noconvert(), py::arg("n_threads"));
  m.def("visible_means", &py_visible_means, py::arg("H").noconvert(), py::arg("W").noconvert(),
        py::arg("a").noconvert(), py::arg("visible"), py::arg("n_threads"));
  m.def("free_energy", &py_free_energy, py::arg("X"), py::arg("W").noconvert(),
        py::arg("a").noconvert(), py::arg("c").noconvert(), py::arg("visible"),
        py::arg("n_threads"));
  m.def("pseudo_likelihood", &py_pseudo_likelihood, py::arg("X"), py::arg("W").noconvert(),
        py::arg("a").noconvert(), py::arg("c").noconvert(), py::arg("n_threads"));
  m.def("gibbs", &py_gibbs, py::arg("V").noconvert(), py::arg("W").noconvert(),
        py::arg("a").noconvert(), py::arg("c").noconvert(), py::arg("visible"),
        py::arg("n_steps"), py::arg("key"), py::arg("call"), py::arg("n_threads"));

  m.def("philox4x32_10",
        [](std::array<std::uint32_t, 4> ctr, std::array<std::uint32_t, 2> key) {
          return philox4x32_10(ctr, key);
        },
        py::arg("counter"), py::arg("key"));
  m.def("random_matrix", &random_matrix, py::arg("key"), py::arg("stream"), py::arg("rows"),
        py::arg("cols"), py::arg("normal") = false);
  m.def("value_range", [](const py::object& X, int n_threads) {
    const EngineInput held = data_view(X, -1, "X");
    const DataView& data = held.view;
    check_threads(n_threads);
    ValueRange range;
    {
      py::gil_scoped_release nogil;
      range = data.value_range(n_threads);
    }
    return py::make_tuple(range.low, range.high, range.finite);
  }, py::arg("X"), py::arg("n_threads"));
  m.def("train_stream", &train_stream, py::arg("step"), py::arg("phase"));
  m.def("gibbs_stream", [](std::uint64_t call, std::uint64_t phase) {
    return stream::make(stream::kGibbs, (call << 32) | phase);
  }, py::arg("call"), py::arg("phase"));
  m.def("epoch_order", [](std::uint64_t key, std::uint64_t epoch, std::int64_t n) {
    if (n < 0) value_error("n must be >= 0");
    return py::array_t<std::int64_t>(py::cast(epoch_order(n, true, key, epoch)));
  }, py::arg("key"), py::arg("epoch"), py::arg("n"), "The row order train_epoch uses in `epoch`.");
  m.def("elementwise", &elementwise, py::arg("name"), py::arg("x"));
  m.def("binary_tables", [](std::optional<bool> enabled) {
    const bool previous = binary_tables();
    if (enabled) set_binary_tables(*enabled);
    return previous;
  }, py::arg("enabled") = py::none());
  m.def("parallel_blocks", [](py::array_t<std::int64_t, py::array::c_style> counts,
                              int n_threads, std::int64_t fail_at) {
    // Test hook: parallel_for over the entries of `counts`, each block adding 1 to its entry;
    // block `fail_at` then throws, and the error must reach Python once every block has run.
    check_threads(n_threads);
    std::int64_t* c = counts.mutable_data();
    const std::int64_t n = counts.size();
    py::gil_scoped_release nogil;
    parallel_for(n_threads, n, [&](std::int64_t i) {
      c[i] += 1;
      if (i == fail_at) throw std::runtime_error("block " + std::to_string(i) + " failed");
    });
  }, py::arg("counts").noconvert(), py::arg("n_threads"), py::arg("fail_at") = -1);
  m.def("run_alone_for", &run_alone_for, py::arg("seconds"),
        "Test hook: this thread's engine calls run on it alone for `seconds`, as they do for a "
        "while after a worker was found descheduled (a busy machine).");
  m.def("sparse_density_threshold", [](std::optional<double> threshold) {
    // Binary inputs with fewer ones than this use row sums instead of sgemm; set 0 to force the
    // dense path, 1.01 to force the sparse one. Returns the previous value.
    const double previous = sparse_density_threshold();
    if (threshold) set_sparse_density_threshold(*threshold);
    return previous;
  }, py::arg("threshold") = py::none());
  m.attr("EXACT_MAX_UNITS") = kMaxExactUnits;
  m.def("exact_sums_hidden", [](const F32& W, const F32& a, const F32& c, const std::string& visible) {
    return exact_sums_hidden(make_model(W, a, c, visible));
  }, py::arg("W").noconvert(), py::arg("a").noconvert(), py::arg("c").noconvert(),
     py::arg("visible"), "Whether exact_log_partition enumerates the hidden layer.");
  m.def("exact_log_partition", &py_exact_log_partition, py::arg("W").noconvert(),
        py::arg("a").noconvert(), py::arg("c").noconvert(), py::arg("visible"),
        py::arg("n_threads"), "log Z by enumerating the smaller layer (float64).");
  m.def("ais_log_partition", &py_ais_log_partition, py::arg("W").noconvert(),
        py::arg("a").noconvert(), py::arg("c").noconvert(), py::arg("visible"),
        py::arg("base_visible_bias").noconvert(), py::arg("n_chains"), py::arg("betas"),
        py::arg("key"), py::arg("call"), py::arg("n_threads"),
        "AIS from the base-rate model: (per-chain log weights, log Z of the base model).");
}
