// Helpers shared by the fused training kernels (fused_dense.cc, fused_conv.cc):
// the sgemm wrapper, the argument reader that names the argument in its error,
// activations and their derivatives from the output, a pathway's signal to the
// layer's input, bias sums and the clamp. Everything is float32 on Float32Array
// data in place; see fused_dense.cc's header for the equations.
#ifndef LDL_NATIVE_FUSED_COMMON_H_
#define LDL_NATIVE_FUSED_COMMON_H_

#include <napi.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a,
                            int lda, const float* b, int ldb, float beta, float* c, int ldc);
// Weak: absent unless the BLAS is OpenBLAS (as in ldl_native.cc).
extern "C" void openblas_set_num_threads(int n) __attribute__((weak));
extern "C" int openblas_get_num_threads(void) __attribute__((weak));

namespace ldl_fused {


constexpr int kRowMajor = 101;
constexpr int kN = 111;
constexpr int kT = 112;

// A product with a dimension below this runs on one BLAS thread whatever the caller's count: OpenBLAS splits C's
// blocks over its threads, and a 10-wide output (a classifier layer) or a 10-deep sum leaves each thread too little.
// Measured on the 2-core machine (2026-12-06, minima of 600 runs of the GEMMs of a 784-256-256-10 step at batch 256,
// in a run where its 256-wide products did scale: 256x784 @ 784x256 0.651 ms on two threads, 1.095 on one):
// 256x256 @ 256x10 0.047 ms on two against 0.030 on one, h^T e (256x256^T @ 256x10) 0.057 against 0.027,
// 256x10 @ 10x256 0.051 against 0.040. A fixed rule of the shape, so a step's bits depend only on the shapes and
// the caller's count.
constexpr int64_t kThinDimension = 32;

inline void Mul(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
         float beta, float* c, int64_t ldc, float alpha = 1.0f) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // sgemm leaves C alone for k = 0 only with beta = 1; make the empty sum explicit
    if (beta == 0.0f)
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] = 0.0f;
    return;
  }
  int saved = 0;
  if ((m < kThinDimension || n < kThinDimension || k < kThinDimension) && openblas_get_num_threads && openblas_set_num_threads) {
    const int current = openblas_get_num_threads();
    if (current > 1) saved = current, openblas_set_num_threads(1);
  }
  cblas_sgemm(kRowMajor, ta ? kT : kN, tb ? kT : kN, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
              (int)ldc);
  if (saved > 0) openblas_set_num_threads(saved);
}

// The element-wise stages of a step (activation, derivative and bias sums, the optimiser update) on two cores when
// the step's GEMMs run on two or more BLAS threads (lib/rules/fused.ts "Threads" decides; a pool worker or a caller
// at one thread never gets here): the second half on one helper thread, started on first use and asleep between
// tasks. Each element (or column) is computed by exactly one thread with the same operations as on one thread, so
// the results are the same bits whatever the split. On a machine with one BLAS thread nothing changes.
class Helper {
 public:
  static Helper& Get() {
    static Helper* helper = new Helper();  // never destroyed: the detached thread may still wait on it at exit
    return *helper;
  }
  // Starts task on the helper thread; false when another caller (a worker thread) holds it.
  bool TryStart(const std::function<void()>* task) {
    if (!busy_.try_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(m_);
      task_ = task;
      generation_++;
    }
    cv_.notify_one();
    return true;
  }
  // Waits for the task TryStart started.
  void Wait() {
    while (done_.load(std::memory_order_acquire) != generation_) std::this_thread::yield();
    busy_.unlock();
  }

 private:
  Helper() { std::thread([this] { Loop(); }).detach(); }
  void Loop() {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void()>* task;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        task = task_;
      }
      (*task)();
      done_.store(seen, std::memory_order_release);
    }
  }
  std::mutex busy_, m_;
  std::condition_variable cv_;
  const std::function<void()>* task_ = nullptr;
  uint64_t generation_ = 0;
  std::atomic<uint64_t> done_{0};
};

// Elements from which a stage is split: below, waking the helper costs more than half the loop.
constexpr int64_t kSplitElements = 1 << 15;

// work(begin, end) over [0, n): in two parts (the split a multiple of `align`, so the parts share no cache line when
// align covers 64 bytes) when `big` and BLAS runs on more than one thread, else in one call here.
template <typename F>
void TwoWay(int64_t n, bool big, int64_t align, F&& work) {
  const int64_t mid = (n / 2 + align - 1) / align * align;
  if (!big || mid <= 0 || mid >= n || !openblas_get_num_threads || openblas_get_num_threads() < 2) {
    work(int64_t{0}, n);
    return;
  }
  const std::function<void()> upper = [&] { work(mid, n); };
  Helper& helper = Helper::Get();
  if (!helper.TryStart(&upper)) {
    work(int64_t{0}, n);
    return;
  }
  work(int64_t{0}, mid);
  helper.Wait();
}

// Positional argument reader: each getter consumes one argument; the first
// problem is kept and reported by Finish() as "ldl_native.<fn>: <arg> ...".
class Reader {
 public:
  Reader(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}
  int64_t Int(const char* arg) {
    const Napi::Value v = Take();
    if (!error_.empty()) return 0;
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(d >= 0) || d > 2147483647.0 || d != std::floor(d)) return Error(arg, "must be a non-negative integer"), 0;
    return static_cast<int64_t>(d);
  }
  double Real(const char* arg) {
    const Napi::Value v = Take();
    if (!error_.empty()) return 0;
    if (!v.IsNumber()) return Error(arg, "must be a number"), 0;
    return v.As<Napi::Number>().DoubleValue();
  }
  bool Flag(const char* arg) {
    const Napi::Value v = Take();
    if (!error_.empty()) return false;
    if (!v.IsBoolean()) return Error(arg, "must be a boolean"), false;
    return v.As<Napi::Boolean>().Value();
  }
  // A Float32Array of at least `need` elements, or null when `optional` and the argument is null.
  float* F32(const char* arg, int64_t need, bool optional = false) { return Typed<float>(arg, need, optional, napi_float32_array, "Float32Array"); }
  int32_t* I32(const char* arg, int64_t need) { return Typed<int32_t>(arg, need, false, napi_int32_array, "Int32Array"); }
  double* F64(const char* arg, int64_t need) { return Typed<double>(arg, need, false, napi_float64_array, "Float64Array"); }
  void Error(const char* arg, const std::string& what) {
    if (error_.empty()) error_ = std::string(arg) + " " + what;
  }
  bool Ok() const { return error_.empty(); }
  // An array read as optional (need 0) whose length a later argument fixes, at argument `index`: want > 0 required
  // with at least that many elements, want < 0 optional with at least -want, want 0 not used; `mode` names the case.
  void Need(const char* arg, int index, const float* ptr, int64_t want, const std::string& mode) {
    if (!Ok() || want == 0) return;
    if (!ptr) {
      if (want > 0) Error(arg, "must be a Float32Array for mode " + mode);
      return;
    }
    const int64_t n = want < 0 ? -want : want;
    const int64_t have = static_cast<int64_t>(info_[index].As<Napi::TypedArray>().ElementLength());
    if (have < n) Error(arg, "has " + std::to_string(have) + " elements, needs " + std::to_string(n));
  }
  // Throws the first problem (also a wrong argument count); true when the call may proceed.
  bool Finish() {
    if (error_.empty() && next_ != info_.Length())
      error_ = "takes " + std::to_string(next_) + " arguments, got " + std::to_string(info_.Length());
    if (error_.empty()) return true;
    Napi::TypeError::New(info_.Env(), std::string("ldl_native.") + fn_ + ": " + error_).ThrowAsJavaScriptException();
    return false;
  }

 private:
  Napi::Value Take() { return next_ < info_.Length() ? info_[next_++] : (next_++, info_.Env().Undefined()); }
  template <typename T>
  T* Typed(const char* arg, int64_t need, bool optional, napi_typedarray_type type, const char* typeName) {
    const Napi::Value v = Take();
    if (!error_.empty()) return nullptr;
    if (optional && v.IsNull()) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      return Error(arg, std::string("must be a ") + typeName + (optional ? " or null" : "")), nullptr;
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if (static_cast<int64_t>(ta.ElementLength()) < need)
      return Error(arg, "has " + std::to_string(ta.ElementLength()) + " elements, needs " + std::to_string(need)), nullptr;
    return reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  }
  const Napi::CallbackInfo& info_;
  const char* fn_;
  size_t next_ = 0;
  std::string error_;
};

// The pathway's arguments of a backward call, in their order (k1, k2, e, rank, classes, scratch, scale, clip):
// the arrays are read as optional because their presence and lengths depend on the mode and the rank, which
// the caller checks with Reader::Need once every argument is read.
struct PathwayArgs {
  const float* k1;
  const float* k2;
  const float* e;
  int64_t rank;
  int64_t classes;
  float* scratch;
  float scale;
  double clip;
};

inline PathwayArgs ReadPathway(Reader& r) {
  PathwayArgs p;
  p.k1 = r.F32("k1", 0, true);
  p.k2 = r.F32("k2", 0, true);
  p.e = r.F32("e", 0, true);
  p.rank = r.Int("rank");
  p.classes = r.Int("classes");
  p.scratch = r.F32("scratch", 0, true);
  p.scale = static_cast<float>(r.Real("scale"));
  p.clip = r.Real("clip");
  return p;
}

enum Act { kLinear = 0, kRelu = 1, kTanh = 2, kSigmoid = 3 };

// f in double then rounded, as tfjs's cpu kernels compute tanh and sigmoid (Math.tanh, 1 / (1 + Math.exp(-x))).
inline void ActivateRange(int act, int64_t len, float* __restrict a) {
  switch (act) {
    case kRelu:
      for (int64_t i = 0; i < len; i++) a[i] = a[i] > 0.0f ? a[i] : 0.0f;
      break;
    case kTanh:
      for (int64_t i = 0; i < len; i++) a[i] = static_cast<float>(std::tanh(static_cast<double>(a[i])));
      break;
    case kSigmoid:
      for (int64_t i = 0; i < len; i++) a[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(a[i]))));
      break;
    default:
      break;
  }
}

inline void Activate(int act, int64_t len, float* a) {
  if (act == kLinear) return;
  TwoWay(len, len >= kSplitElements, 16, [&](int64_t b, int64_t e) { ActivateRange(act, e - b, a + b); });
}

inline void TimesDerivative(int act, int64_t len, const float* __restrict h, float* __restrict d) {
  switch (act) {
    case kRelu:
      for (int64_t i = 0; i < len; i++) d[i] = h[i] > 0.0f ? d[i] : 0.0f * d[i];
      break;
    case kTanh:
      for (int64_t i = 0; i < len; i++) d[i] *= 1.0f - h[i] * h[i];
      break;
    case kSigmoid:
      for (int64_t i = 0; i < len; i++) d[i] *= h[i] * (1.0f - h[i]);
      break;
    default:
      break;
  }
}

// The pathway's signal modes (lib/rules/fused.ts's Mode): what carries delta to the layer's input.
enum Mode { kNone = 0, kKernel = 1, kSign = 2, kDirect = 3, kLowRank = 4, kDirectLowRank = 5 };

// a [rows, cols] = the bias row b repeated (the GEMM then adds x W with beta = 1).
inline void BiasRows(int64_t rows, int64_t cols, const float* b, float* a) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) a[i * cols + j] = b[j];
}

// delta *= f'(h) (act not linear) and gb[j] = sum_i delta[i, j] (gb not null) over rows [rows, cols], in one pass
// row by row; each column summed in double in row order (the order of a column-by-column loop, so the same bits).
inline void DerivativeAndColumnSums(int act, int64_t rows, int64_t cols, const float* __restrict h, float* __restrict delta,
                                    float* gb) {
  if (!gb) {
    if (act != kLinear)
      TwoWay(rows * cols, rows * cols >= kSplitElements, 16, [&](int64_t b, int64_t e) { TimesDerivative(act, e - b, h + b, delta + b); });
    return;
  }
  thread_local std::vector<double> sums;  // keeps its capacity between calls
  sums.assign(static_cast<size_t>(cols), 0.0);
  double* s = sums.data();
  // Two threads take a block of columns each (whole columns: each sum keeps its order).
  TwoWay(cols, rows * cols >= kSplitElements && cols >= 32, 16, [&](int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < rows; i++) {
      float* d = delta + i * cols;
      if (act != kLinear) TimesDerivative(act, c1 - c0, h + i * cols + c0, d + c0);
      for (int64_t j = c0; j < c1; j++) s[j] += d[j];
    }
  });
  for (int64_t j = 0; j < cols; j++) gb[j] = static_cast<float>(s[j]);
}

// The sign pathways' kernel: out = sign(W) * M (frsf, brsf) or sign(W) * scale (usf, M null); sign(0) = 0.
inline void SignKernel(int64_t n, const float* W, const float* M, float scale, float* out) {
  for (int64_t i = 0; i < n; i++) {
    const float s = W[i] > 0.0f ? 1.0f : W[i] < 0.0f ? -1.0f : 0.0f;
    out[i] = s * (M ? M[i] : scale);
  }
}

// The signal rows `out` [rows, nIn] a pathway sends back from delta [rows, nOut] (see fused_dense.cc's header):
//   kernel    delta K^T (K = k1 [nIn, nOut])          sign    delta (s sign(W))^T, W = k1, s = k2 or scale
//   direct    e B (e [rows, classes], B = k1 [classes, nIn])
//   low rank  (delta P^T) Q^T, P = k2 [rank, nOut], Q = k1 [nIn, rank]; direct low rank: (e P^T) Q^T
// scratch: nIn*nOut floats (sign) or rows*rank (low rank). A conv layer passes its im2col rows (rows = examples x
// positions, nIn = the filter taps) for kernel, sign and low rank, and examples x the flat input for the direct modes.
inline void Propagate(int mode, int64_t rows, int64_t nIn, int64_t nOut, const float* delta, const float* k1, const float* k2,
                      const float* e, int64_t rank, int64_t classes, float* scratch, float scale, float* out) {
  switch (mode) {
    case kKernel:
      Mul(false, true, rows, nIn, nOut, delta, nOut, k1, nOut, 0.0f, out, nIn);
      break;
    case kSign:
      SignKernel(nIn * nOut, k1, k2, scale, scratch);
      Mul(false, true, rows, nIn, nOut, delta, nOut, scratch, nOut, 0.0f, out, nIn);
      break;
    case kDirect:
      Mul(false, false, rows, nIn, classes, e, classes, k1, nIn, 0.0f, out, nIn);
      break;
    case kLowRank:
      Mul(false, true, rows, rank, nOut, delta, nOut, k2, nOut, 0.0f, scratch, rank);
      Mul(false, true, rows, nIn, rank, scratch, rank, k1, rank, 0.0f, out, nIn);
      break;
    case kDirectLowRank:
      Mul(false, true, rows, rank, classes, e, classes, k2, classes, 0.0f, scratch, rank);
      Mul(false, true, rows, nIn, rank, scratch, rank, k1, rank, 0.0f, out, nIn);
      break;
    default:
      break;
  }
}

// v clamped to [-c, c] in place; NaN passes through, as in tf.clipByValue.
inline void Clamp(float c, int64_t n, float* v) {
  for (int64_t i = 0; i < n; i++) v[i] = v[i] > c ? c : v[i] < -c ? -c : v[i];
}

}  // namespace ldl_fused

#endif  // LDL_NATIVE_FUSED_COMMON_H_
