// ldl_native: matrix products and convolution helpers on the system CBLAS,
// reading and writing JavaScript typed arrays in place (no copies).
//
// Everything is row-major. Typed-array data pointers from N-API already
// include the view's byteOffset, so subarray views work unchanged. Every
// entry point checks that the arrays are long enough for the requested
// shapes, so a wrong call throws instead of touching memory it does not own.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "im2col.h"

// The CBLAS prototypes are declared here rather than taken from <cblas.h>,
// whose location differs between distributions (cblas.h, openblas/cblas.h,
// x86_64-linux-gnu/cblas.h); the enum values are fixed by the CBLAS standard.
extern "C" {
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
void cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc);
void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float* a, int lda, const float* x, int incx,
                 float beta, float* y, int incy);
void cblas_dgemv(int order, int trans, int m, int n, double alpha, const double* a, int lda, const double* x, int incx,
                 double beta, double* y, int incy);
// OpenBLAS extras. Weak, so that a plain CBLAS without them still links and
// loads; the pointers are then null and the add-on reports that.
void openblas_set_num_threads(int n) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
char* openblas_get_config(void) __attribute__((weak));
char* openblas_get_corename(void) __attribute__((weak));
// LAPACK's divide-and-conquer symmetric eigensolver (Fortran calling convention), shipped inside OpenBLAS; weak
// for the same reason: without it the add-on has no symEig and lib/core keeps its JavaScript solver.
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info) __attribute__((weak));
}

// Element-wise RNN stages and the Adam step (rnn_elementwise.cc).
void RegisterRnnElementwise(Napi::Env env, Napi::Object exports);
// Fused dense-layer training kernels (fused_dense.cc).
void RegisterFusedDense(Napi::Env env, Napi::Object exports);
// Fused conv2d and max-pooling training kernels (fused_conv.cc).
void RegisterFusedConv(Napi::Env env, Napi::Object exports);
// Fused batch-normalisation training kernels (fused_norm.cc).
void RegisterFusedNorm(Napi::Env env, Napi::Object exports);
// The ViT's attention and GELU loops (fused_transformer.cc).
void RegisterFusedTransformer(Napi::Env env, Napi::Object exports);
// Fused curvature-vector products of dense networks (fused_landscape.cc).
void RegisterFusedLandscape(Napi::Env env, Napi::Object exports);

namespace {

using ldl::Col2im;
using ldl::Conv;
using ldl::Im2col;

constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

// OpenBLAS splits a product over its threads by blocks of C's rows and
// columns. When C is thin (few rows or columns), or each element is a short
// dot product, or the product is tiny, each thread gets too little work and a
// second thread costs more than it saves: measured on a 2-core machine, a
// 50176x25 @ 25x6 convolution product took 1.1 ms on two threads against
// 0.37 ms on one (`npm run bench -- core`, LeNet step, shows the effect on
// training). Such products run on one thread; the caller's setting is
// restored after the call. (OpenBLAS's results differ in the last bits
// between thread counts; the pool's bitwise contract is between one-thread
// processes, which this leaves alone.)
bool OneThreadIsFaster(int64_t m, int64_t n, int64_t k) {
  const double mm = (double)m, nn = (double)n, kk = (double)k;
  return 2.0 * mm * nn * kk < 1e6 || nn * kk < 1024.0 || mm * nn < 1024.0;
}

class ThreadsForProduct {
 public:
  ThreadsForProduct(int64_t m, int64_t n, int64_t k) {
    if (openblas_set_num_threads == nullptr || openblas_get_num_threads == nullptr) return;
    const int current = openblas_get_num_threads();
    if (current > 1 && OneThreadIsFaster(m, n, k)) {
      saved_ = current;
      openblas_set_num_threads(1);
    }
  }
  ~ThreadsForProduct() {
    if (saved_ > 0) openblas_set_num_threads(saved_);
  }
  ThreadsForProduct(const ThreadsForProduct&) = delete;
  ThreadsForProduct& operator=(const ThreadsForProduct&) = delete;

 private:
  int saved_ = 0;
};

// A product with one output column or row is a matrix-vector product; OpenBLAS's
// gemm packs the whole matrix for it on every call (one simulated second of an
// N = 1000 rate network, J r per step, measured 3.3x NumPy's time, whose
// matmul calls gemv). Returns false where gemm must run: k = 0 (gemv would
// leave y unscaled by beta) or no output.
//   n = 1: c[i*ldc] = alpha op(A)[i,:] . B[:,0] + beta c[i*ldc]
//   m = 1: c[j]     = alpha A[0,:] . op(B)[:,j] + beta c[j], as y = op(B)^T x
template <typename T, typename Gemv>
bool GemvInstead(Gemv gemv, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (k == 0) return false;
  if (n == 1) {
    // A is stored m x k (lda) or, transposed, k x m; B's column has stride ldb, or 1 when B is stored transposed (1 x k).
    gemv(kRowMajor, ta ? kTrans : kNoTrans, (int)(ta ? k : m), (int)(ta ? m : k), alpha, a, (int)lda, b,
         (int)(tb ? 1 : ldb), beta, c, (int)ldc);
    return true;
  }
  if (m == 1) {
    // B is stored k x n (ldb): y = B^T x; transposed it is stored n x k: y = B x. A's row has stride 1, or lda when stored k x 1.
    gemv(kRowMajor, tb ? kNoTrans : kTrans, (int)(tb ? n : k), (int)(tb ? k : n), alpha, b, (int)ldb, a,
         (int)(ta ? lda : 1), beta, c, 1);
    return true;
  }
  return false;
}

void Sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc) {
  ThreadsForProduct threads(m, n, k);
  if (GemvInstead(cblas_sgemv, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  cblas_sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, (int)m, (int)n, (int)k, alpha, a, (int)lda, b,
              (int)ldb, beta, c, (int)ldc);
}

void Dgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
           const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  ThreadsForProduct threads(m, n, k);
  if (GemvInstead(cblas_dgemv, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  cblas_dgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, (int)m, (int)n, (int)k, alpha, a, (int)lda, b,
              (int)ldb, beta, c, (int)ldc);
}

Napi::Value Fail(const Napi::Env& env, const std::string& msg) {
  Napi::TypeError::New(env, "ldl_native." + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool GetInt(const Napi::CallbackInfo& info, size_t i, int64_t* out) {
  if (i >= info.Length() || !info[i].IsNumber()) return false;
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 2147483647.0 || d != static_cast<double>(static_cast<int64_t>(d))) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// Elements needed by a row-major matrix of `rows` rows of `cols` with leading dimension ld.
int64_t Need(int64_t rows, int64_t cols, int64_t ld) { return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols; }

template <typename T>
struct Arr {
  T* data = nullptr;
  size_t length = 0;
};

template <typename T>
bool GetArr(const Napi::Value& v, napi_typedarray_type type, Arr<T>* out) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != type) return false;
  Napi::ArrayBuffer buf = ta.ArrayBuffer();
  out->data = reinterpret_cast<T*>(static_cast<uint8_t*>(buf.Data()) + ta.ByteOffset());
  out->length = ta.ElementLength();
  return true;
}

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
// C = alpha op(A) op(B) + beta C on Float32Array (sgemm) or Float64Array (dgemm).
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 13) return Fail(env, "gemm: expected 13 arguments (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)");
  bool ta = info[0].ToBoolean().Value(), tb = info[1].ToBoolean().Value();
  int64_t m, n, k, lda, ldb, ldc;
  if (!GetInt(info, 2, &m) || !GetInt(info, 3, &n) || !GetInt(info, 4, &k)) return Fail(env, "gemm: m, n, k must be non-negative integers");
  if (!GetInt(info, 7, &lda) || !GetInt(info, 9, &ldb) || !GetInt(info, 12, &ldc)) return Fail(env, "gemm: lda, ldb, ldc must be non-negative integers");
  if (!info[5].IsNumber() || !info[10].IsNumber()) return Fail(env, "gemm: alpha and beta must be numbers");
  double alpha = info[5].As<Napi::Number>().DoubleValue(), beta = info[10].As<Napi::Number>().DoubleValue();
  int64_t rowsA = ta ? k : m, colsA = ta ? m : k, rowsB = tb ? n : k, colsB = tb ? k : n;
  if (lda < std::max<int64_t>(1, colsA)) return Fail(env, "gemm: lda smaller than the row length of A");
  if (ldb < std::max<int64_t>(1, colsB)) return Fail(env, "gemm: ldb smaller than the row length of B");
  if (ldc < std::max<int64_t>(1, n)) return Fail(env, "gemm: ldc smaller than n");
  bool f32 = info[6].IsTypedArray() && info[6].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  if (f32) {
    Arr<float> a, b, c;
    if (!GetArr(info[6], napi_float32_array, &a) || !GetArr(info[8], napi_float32_array, &b) || !GetArr(info[11], napi_float32_array, &c))
      return Fail(env, "gemm: a, b, c must all be Float32Array or all Float64Array");
    if (static_cast<int64_t>(a.length) < Need(rowsA, colsA, lda)) return Fail(env, "gemm: a is too short for op(A) m x k");
    if (static_cast<int64_t>(b.length) < Need(rowsB, colsB, ldb)) return Fail(env, "gemm: b is too short for op(B) k x n");
    if (static_cast<int64_t>(c.length) < Need(m, n, ldc)) return Fail(env, "gemm: c is too short for C m x n");
    if (m == 0 || n == 0) return env.Undefined();
    Sgemm(ta, tb, (int)m, (int)n, (int)k, (float)alpha, a.data, (int)lda,
                b.data, (int)ldb, (float)beta, c.data, (int)ldc);
  } else {
    Arr<double> a, b, c;
    if (!GetArr(info[6], napi_float64_array, &a) || !GetArr(info[8], napi_float64_array, &b) || !GetArr(info[11], napi_float64_array, &c))
      return Fail(env, "gemm: a, b, c must all be Float32Array or all Float64Array");
    if (static_cast<int64_t>(a.length) < Need(rowsA, colsA, lda)) return Fail(env, "gemm: a is too short for op(A) m x k");
    if (static_cast<int64_t>(b.length) < Need(rowsB, colsB, ldb)) return Fail(env, "gemm: b is too short for op(B) k x n");
    if (static_cast<int64_t>(c.length) < Need(m, n, ldc)) return Fail(env, "gemm: c is too short for C m x n");
    if (m == 0 || n == 0) return env.Undefined();
    Dgemm(ta, tb, (int)m, (int)n, (int)k, alpha, a.data, (int)lda, b.data,
                (int)ldb, beta, c.data, (int)ldc);
  }
  return env.Undefined();
}

// sgemmBatched(transA, transB, m, n, k, a, aOffsets, b, bOffsets, c)
// For each i: C_i = op(A at aOffsets[i]) op(B at bOffsets[i]), packed matrices,
// C_i at i*m*n. Offsets (Int32Array) express any batch broadcasting.
Napi::Value SgemmBatched(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 10) return Fail(env, "sgemmBatched: expected 10 arguments");
  bool ta = info[0].ToBoolean().Value(), tb = info[1].ToBoolean().Value();
  int64_t m, n, k;
  if (!GetInt(info, 2, &m) || !GetInt(info, 3, &n) || !GetInt(info, 4, &k)) return Fail(env, "sgemmBatched: m, n, k must be non-negative integers");
  Arr<float> a, b, c;
  Arr<int32_t> ao, bo;
  if (!GetArr(info[5], napi_float32_array, &a) || !GetArr(info[7], napi_float32_array, &b) || !GetArr(info[9], napi_float32_array, &c))
    return Fail(env, "sgemmBatched: a, b, c must be Float32Array");
  if (!GetArr(info[6], napi_int32_array, &ao) || !GetArr(info[8], napi_int32_array, &bo) || ao.length != bo.length)
    return Fail(env, "sgemmBatched: aOffsets and bOffsets must be Int32Arrays of equal length");
  int64_t batch = static_cast<int64_t>(ao.length);
  if (static_cast<int64_t>(c.length) < batch * m * n) return Fail(env, "sgemmBatched: c is too short");
  for (int64_t i = 0; i < batch; i++) {
    if (ao.data[i] < 0 || ao.data[i] + m * k > static_cast<int64_t>(a.length)) return Fail(env, "sgemmBatched: an A offset is out of range");
    if (bo.data[i] < 0 || bo.data[i] + k * n > static_cast<int64_t>(b.length)) return Fail(env, "sgemmBatched: a B offset is out of range");
  }
  if (m == 0 || n == 0) return env.Undefined();
  int lda = (int)(ta ? m : k), ldb = (int)(tb ? k : n);
  for (int64_t i = 0; i < batch; i++) {
    float* ci = c.data + i * m * n;
    if (k == 0) {
      std::fill(ci, ci + m * n, 0.0f);
      continue;
    }
    Sgemm(ta, tb, (int)m, (int)n, (int)k, 1.0f, a.data + ao.data[i], lda,
                b.data + bo.data[i], ldb, 0.0f, ci, (int)n);
  }
  return env.Undefined();
}

bool GetConv(const Napi::CallbackInfo& info, size_t first, Conv* g) {
  int64_t v[15];
  for (int i = 0; i < 15; i++)
    if (!GetInt(info, first + i, &v[i])) return false;
  *g = Conv{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  return g->SH > 0 && g->SW > 0 && g->DH > 0 && g->DW > 0;
}

// Images per chunk so that the scratch column matrix stays near 32 MB.
int64_t ChunkImages(const Conv& g) {
  const int64_t maxFloats = int64_t(1) << 18;
  int64_t per = std::max<int64_t>(1, g.P() * g.K());
  return std::max<int64_t>(1, std::min<int64_t>(g.N, maxFloats / per));
}

thread_local std::vector<float> scratch;

float* Scratch(size_t count) {
  if (scratch.size() < count) scratch.resize(count);
  return scratch.data();
}

// Validates the three arrays of a conv call: (first, second, third) sized
// (xSize, wSize, ySize) in the order the entry point takes them.
bool ConvArrays(const Napi::CallbackInfo& info, Arr<float>* p0, Arr<float>* p1, Arr<float>* p2, int64_t s0, int64_t s1, int64_t s2,
                std::string* err) {
  if (!GetArr(info[0], napi_float32_array, p0) || !GetArr(info[1], napi_float32_array, p1) || !GetArr(info[2], napi_float32_array, p2)) {
    *err = "the three arrays must be Float32Array";
    return false;
  }
  if (static_cast<int64_t>(p0->length) < s0 || static_cast<int64_t>(p1->length) < s1 || static_cast<int64_t>(p2->length) < s2) {
    *err = "an array is shorter than the convolution geometry needs";
    return false;
  }
  return true;
}

// conv2d(x, w, y, N, H, W, C, OH, OW, OC, FH, FW, SH, SW, DH, DW, PT, PL): y = conv(x, w), NHWC.
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Conv g;
  if (info.Length() != 18 || !GetConv(info, 3, &g)) return Fail(env, "conv2d: expected (x, w, y) and 15 non-negative integers (strides, dilations > 0)");
  Arr<float> x, w, y;
  std::string err;
  if (!ConvArrays(info, &x, &w, &y, g.N * g.H * g.W * g.C, g.K() * g.OC, g.N * g.P() * g.OC, &err)) return Fail(env, "conv2d: " + err);
  const int64_t K = g.K(), P = g.P();
  if (g.N * P * g.OC == 0) return env.Undefined();
  if (K == 0) {
    std::fill(y.data, y.data + g.N * P * g.OC, 0.0f);
    return env.Undefined();
  }
  if (g.Identity()) {
    Sgemm(false, false, (int)(g.N * P), (int)g.OC, (int)K, 1.0f, x.data, (int)K, w.data, (int)g.OC, 0.0f, y.data,
                (int)g.OC);
    return env.Undefined();
  }
  const int64_t chunk = ChunkImages(g);
  float* cols = Scratch(static_cast<size_t>(chunk * P * K));
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    int64_t n1 = std::min(g.N, n0 + chunk);
    Im2col(g, x.data, n0, n1, cols);
    Sgemm(false, false, (int)((n1 - n0) * P), (int)g.OC, (int)K, 1.0f, cols, (int)K, w.data, (int)g.OC, 0.0f,
                y.data + n0 * P * g.OC, (int)g.OC);
  }
  return env.Undefined();
}

// conv2dBackpropInput(dy, w, dx, geometry...): dx = conv^T(dy, w).
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Conv g;
  if (info.Length() != 18 || !GetConv(info, 3, &g)) return Fail(env, "conv2dBackpropInput: expected (dy, w, dx) and 15 non-negative integers (strides, dilations > 0)");
  Arr<float> dy, w, dx;
  std::string err;
  if (!ConvArrays(info, &dy, &w, &dx, g.N * g.P() * g.OC, g.K() * g.OC, g.N * g.H * g.W * g.C, &err))
    return Fail(env, "conv2dBackpropInput: " + err);
  const int64_t K = g.K(), P = g.P();
  const int64_t nx = g.N * g.H * g.W * g.C;
  if (nx == 0) return env.Undefined();
  if (g.Identity() && g.OC > 0) {
    Sgemm(false, true, (int)(g.N * P), (int)K, (int)g.OC, 1.0f, dy.data, (int)g.OC, w.data, (int)g.OC, 0.0f, dx.data,
                (int)K);
    return env.Undefined();
  }
  std::fill(dx.data, dx.data + nx, 0.0f);
  if (K == 0 || P == 0 || g.OC == 0) return env.Undefined();
  const int64_t chunk = ChunkImages(g);
  float* cols = Scratch(static_cast<size_t>(chunk * P * K));
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    int64_t n1 = std::min(g.N, n0 + chunk);
    Sgemm(false, true, (int)((n1 - n0) * P), (int)K, (int)g.OC, 1.0f, dy.data + n0 * P * g.OC, (int)g.OC, w.data,
                (int)g.OC, 0.0f, cols, (int)K);
    Col2im(g, cols, n0, n1, dx.data);
  }
  return env.Undefined();
}

// conv2dBackpropFilter(x, dy, dw, geometry...): dw = sum over pixels of patch(x)^T dy.
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Conv g;
  if (info.Length() != 18 || !GetConv(info, 3, &g)) return Fail(env, "conv2dBackpropFilter: expected (x, dy, dw) and 15 non-negative integers (strides, dilations > 0)");
  Arr<float> x, dy, dw;
  std::string err;
  if (!ConvArrays(info, &x, &dy, &dw, g.N * g.H * g.W * g.C, g.N * g.P() * g.OC, g.K() * g.OC, &err))
    return Fail(env, "conv2dBackpropFilter: " + err);
  const int64_t K = g.K(), P = g.P();
  if (K * g.OC == 0) return env.Undefined();
  if (g.N * P == 0) {
    std::fill(dw.data, dw.data + K * g.OC, 0.0f);
    return env.Undefined();
  }
  if (g.Identity()) {
    Sgemm(true, false, (int)K, (int)g.OC, (int)(g.N * P), 1.0f, x.data, (int)K, dy.data, (int)g.OC, 0.0f, dw.data,
                (int)g.OC);
    return env.Undefined();
  }
  const int64_t chunk = ChunkImages(g);
  float* cols = Scratch(static_cast<size_t>(chunk * P * K));
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    int64_t n1 = std::min(g.N, n0 + chunk);
    Im2col(g, x.data, n0, n1, cols);
    Sgemm(true, false, (int)K, (int)g.OC, (int)((n1 - n0) * P), 1.0f, cols, (int)K, dy.data + n0 * P * g.OC,
                (int)g.OC, n0 == 0 ? 0.0f : 1.0f, dw.data, (int)g.OC);
  }
  return env.Undefined();
}

// Window geometry of a 2-D pooling, NHWC.
struct Pool {
  int64_t N, H, W, C, OH, OW, FH, FW, SH, SW, DH, DW, PT, PL;
};

bool GetPool(const Napi::CallbackInfo& info, size_t first, Pool* g) {
  int64_t v[14];
  for (int i = 0; i < 14; i++)
    if (!GetInt(info, first + i, &v[i])) return false;
  *g = Pool{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]};
  return g->SH > 0 && g->SW > 0 && g->DH > 0 && g->DW > 0;
}

// maxPool(x, y, argmax, geometry...): y = window maxima; argmax (Int32Array) the
// flat input index of each maximum (first one on ties, -1 for an empty window),
// which the gradient uses to route dy.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Pool g;
  if (info.Length() != 17 || !GetPool(info, 3, &g)) return Fail(env, "maxPool: expected (x, y, argmax) and 14 non-negative integers");
  Arr<float> x, y;
  Arr<int32_t> am;
  if (!GetArr(info[0], napi_float32_array, &x) || !GetArr(info[1], napi_float32_array, &y) || !GetArr(info[2], napi_int32_array, &am))
    return Fail(env, "maxPool: x and y must be Float32Array, argmax Int32Array");
  const int64_t nx = g.N * g.H * g.W * g.C, ny = g.N * g.OH * g.OW * g.C;
  if ((int64_t)x.length < nx || (int64_t)y.length < ny || (int64_t)am.length < ny) return Fail(env, "maxPool: an array is too short");
  if (nx > 2147483647) return Fail(env, "maxPool: input too large for int32 indices");
  const int64_t C = g.C;
  for (int64_t n = 0; n < g.N; n++) {
    for (int64_t oy = 0; oy < g.OH; oy++) {
      for (int64_t ox = 0; ox < g.OW; ox++) {
        const int64_t o = ((n * g.OH + oy) * g.OW + ox) * C;
        float* best = y.data + o;
        int32_t* where = am.data + o;
        bool first = true;
        for (int64_t fy = 0; fy < g.FH; fy++) {
          const int64_t iy = oy * g.SH - g.PT + fy * g.DH;
          if (iy < 0 || iy >= g.H) continue;
          for (int64_t fx = 0; fx < g.FW; fx++) {
            const int64_t ix = ox * g.SW - g.PL + fx * g.DW;
            if (ix < 0 || ix >= g.W) continue;
            const int64_t base = ((n * g.H + iy) * g.W + ix) * C;
            const float* src = x.data + base;
            if (first) {
              for (int64_t c = 0; c < C; c++) {
                best[c] = src[c];
                where[c] = (int32_t)(base + c);
              }
              first = false;
              continue;
            }
            for (int64_t c = 0; c < C; c++) {
              // The first maximum wins ties; NaN propagates as in tfjs's cpu kernel.
              // Written without branches: on real data the comparison is a coin flip.
              const float v = src[c], b = best[c];
              const bool take = (v > b) | ((v != v) & (b == b));
              best[c] = take ? v : b;
              where[c] = take ? (int32_t)(base + c) : where[c];
            }
          }
        }
        if (first) {  // a window entirely in the padding
          for (int64_t c = 0; c < C; c++) {
            best[c] = 0.0f;
            where[c] = -1;
          }
        }
      }
    }
  }
  return env.Undefined();
}

// scatterAdd(dy, argmax, dx): dx = 0; dx[argmax[i]] += dy[i] (max-pool gradient).
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr<float> dy, dx;
  Arr<int32_t> am;
  if (info.Length() != 3 || !GetArr(info[0], napi_float32_array, &dy) || !GetArr(info[1], napi_int32_array, &am) ||
      !GetArr(info[2], napi_float32_array, &dx))
    return Fail(env, "scatterAdd: expected (dy: Float32Array, argmax: Int32Array, dx: Float32Array)");
  if (am.length < dy.length) return Fail(env, "scatterAdd: argmax shorter than dy");
  std::fill(dx.data, dx.data + dx.length, 0.0f);
  for (size_t i = 0; i < dy.length; i++) {
    int32_t j = am.data[i];
    if (j < 0) continue;
    if ((size_t)j >= dx.length) return Fail(env, "scatterAdd: an argmax index is out of range");
    dx.data[j] += dy.data[i];
  }
  return env.Undefined();
}

// ---- elementwise and reductions: the small kernels that dominate a
// training step once the products are fast (bias adds, optimizer updates,
// ReLU and its gradient, bias-gradient sums).

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };

template <typename F>
void BinaryLoop(const float* a, size_t na, const float* b, size_t nb, float* out, size_t n, F f) {
  if (na == n && nb == n) {
    for (size_t i = 0; i < n; i++) out[i] = f(a[i], b[i]);
  } else if (na == n) {  // b repeats along the leading dims
    if (nb == 1) {
      const float bv = b[0];
      for (size_t i = 0; i < n; i++) out[i] = f(a[i], bv);
    } else {
      for (size_t r = 0; r < n; r += nb)
        for (size_t j = 0; j < nb; j++) out[r + j] = f(a[r + j], b[j]);
    }
  } else {  // a repeats
    if (na == 1) {
      const float av = a[0];
      for (size_t i = 0; i < n; i++) out[i] = f(av, b[i]);
    } else {
      for (size_t r = 0; r < n; r += na)
        for (size_t j = 0; j < na; j++) out[r + j] = f(a[j], b[r + j]);
    }
  }
}

// binary(op, a, b, out): out[i] = a[i mod |a|] op b[i mod |b|], where one of
// a, b has out's length and the other's length divides it (the JS side only
// sends broadcasts of that form: the smaller shape is a suffix of the larger).
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t op;
  Arr<float> a, b, out;
  if (info.Length() != 4 || !GetInt(info, 0, &op) || !GetArr(info[1], napi_float32_array, &a) ||
      !GetArr(info[2], napi_float32_array, &b) || !GetArr(info[3], napi_float32_array, &out))
    return Fail(env, "binary: expected (op, a: Float32Array, b: Float32Array, out: Float32Array)");
  size_t n = out.length;
  bool okA = a.length == n || (a.length > 0 && n % a.length == 0 && b.length == n);
  bool okB = b.length == n || (b.length > 0 && n % b.length == 0 && a.length == n);
  if (!okA || !okB) return Fail(env, "binary: one operand must have the output's length and the other a divisor of it");
  switch (op) {
    case kAdd: BinaryLoop(a.data, a.length, b.data, b.length, out.data, n, [](float x, float y) { return x + y; }); break;
    case kSub: BinaryLoop(a.data, a.length, b.data, b.length, out.data, n, [](float x, float y) { return x - y; }); break;
    case kMul: BinaryLoop(a.data, a.length, b.data, b.length, out.data, n, [](float x, float y) { return x * y; }); break;
    case kDiv: BinaryLoop(a.data, a.length, b.data, b.length, out.data, n, [](float x, float y) { return x / y; }); break;
    default: return Fail(env, "binary: unknown op");
  }
  return env.Undefined();
}

enum UnaryOp { kRelu = 0, kStep = 1 };

// unary(op, x, out, alpha): relu (NaN stays NaN, as Math.max does) or
// step (1 where x > 0, alpha elsewhere, NaN stays NaN).
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t op;
  Arr<float> x, out;
  if (info.Length() != 4 || !GetInt(info, 0, &op) || !GetArr(info[1], napi_float32_array, &x) ||
      !GetArr(info[2], napi_float32_array, &out) || !info[3].IsNumber())
    return Fail(env, "unary: expected (op, x: Float32Array, out: Float32Array, alpha: number)");
  if (out.length != x.length) return Fail(env, "unary: x and out must have the same length");
  const float alpha = (float)info[3].As<Napi::Number>().DoubleValue();
  const size_t n = x.length;
  const float* xv = x.data;
  float* o = out.data;
  if (op == kRelu) {
    for (size_t i = 0; i < n; i++) o[i] = xv[i] > 0.0f ? xv[i] : (xv[i] != xv[i] ? xv[i] : 0.0f);
  } else if (op == kStep) {
    for (size_t i = 0; i < n; i++) o[i] = xv[i] > 0.0f ? 1.0f : (xv[i] != xv[i] ? xv[i] : alpha);
  } else {
    return Fail(env, "unary: unknown op");
  }
  return env.Undefined();
}

// sumRows(x, rows, cols, out, leading): x viewed as rows x cols; leading sums
// over rows (out has cols entries), otherwise over cols (out has rows
// entries). Accumulates in double, as tfjs's cpu Sum does in JS numbers.
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t rows, cols;
  Arr<float> x, out;
  if (info.Length() != 5 || !GetArr(info[0], napi_float32_array, &x) || !GetInt(info, 1, &rows) || !GetInt(info, 2, &cols) ||
      !GetArr(info[3], napi_float32_array, &out))
    return Fail(env, "sumRows: expected (x: Float32Array, rows, cols, out: Float32Array, leading: boolean)");
  bool leading = info[4].ToBoolean().Value();
  if ((int64_t)x.length < rows * cols || (int64_t)out.length < (leading ? cols : rows)) return Fail(env, "sumRows: an array is too short");
  if (leading) {
    std::vector<double> acc(cols, 0.0);
    for (int64_t i = 0; i < rows; i++) {
      const float* r = x.data + i * cols;
      for (int64_t j = 0; j < cols; j++) acc[j] += r[j];
    }
    for (int64_t j = 0; j < cols; j++) out.data[j] = (float)acc[j];
  } else {
    for (int64_t i = 0; i < rows; i++) {
      const float* r = x.data + i * cols;
      double s = 0;
      for (int64_t j = 0; j < cols; j++) s += r[j];
      out.data[i] = (float)s;
    }
  }
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n;
  if (!GetInt(info, 0, &n) || n < 1) return Fail(env, "setThreads: expected a positive integer");
  if (openblas_set_num_threads == nullptr) return Napi::Boolean::New(env, false);
  openblas_set_num_threads((int)n);
  return Napi::Boolean::New(env, true);
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (openblas_get_num_threads == nullptr) return env.Null();
  return Napi::Number::New(env, openblas_get_num_threads());
}

// symEig(n, a, w): eigenvalues (ascending, into w [n]) and eigenvectors of the symmetric n x n matrix a
// (Float64Array, row-major; only its lower triangle in LAPACK's column-major view -- the upper in row-major -- is read).
// On return row j of a holds the unit eigenvector of w[j]. Returns LAPACK's info (0: converged).
Napi::Value SymEig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n;
  if (info.Length() != 3 || !GetInt(info, 0, &n) || n < 1 || n > 46340) return Fail(env, "symEig: expected (n >= 1, a, w)");
  Arr<double> a, w;
  if (!GetArr(info[1], napi_float64_array, &a) || !GetArr(info[2], napi_float64_array, &w)) return Fail(env, "symEig: a and w must be Float64Array");
  if (static_cast<int64_t>(a.length) < n * n) return Fail(env, "symEig: a is shorter than n * n");
  if (static_cast<int64_t>(w.length) < n) return Fail(env, "symEig: w is shorter than n");
  const int nn = static_cast<int>(n);
  int lwork = -1, liwork = -1, status = 0, iworkSize = 0;
  double workSize = 0;
  dsyevd_("V", "L", &nn, a.data, &nn, w.data, &workSize, &lwork, &iworkSize, &liwork, &status);
  if (status != 0) return Napi::Number::New(env, status);
  lwork = static_cast<int>(workSize);
  liwork = iworkSize;
  std::vector<double> work(static_cast<size_t>(std::max(1, lwork)));
  std::vector<int> iwork(static_cast<size_t>(std::max(1, liwork)));
  dsyevd_("V", "L", &nn, a.data, &nn, w.data, work.data(), &lwork, iwork.data(), &liwork, &status);
  return Napi::Number::New(env, status);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  bool isOpenblas = openblas_get_config != nullptr;
  o.Set("openblas", Napi::Boolean::New(env, isOpenblas));
  o.Set("config", isOpenblas ? Napi::Value(Napi::String::New(env, openblas_get_config())) : env.Null());
  o.Set("corename", openblas_get_corename ? Napi::Value(Napi::String::New(env, openblas_get_corename())) : env.Null());
  o.Set("canSetThreads", Napi::Boolean::New(env, openblas_set_num_threads != nullptr));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterRnnElementwise(env, exports);
  RegisterFusedDense(env, exports);
  RegisterFusedConv(env, exports);
  RegisterFusedNorm(env, exports);
  RegisterFusedTransformer(env, exports);
  RegisterFusedLandscape(env, exports);
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("sgemmBatched", Napi::Function::New(env, SgemmBatched));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2dBackpropFilter));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("sumRows", Napi::Function::New(env, SumRows));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("info", Napi::Function::New(env, Info));
  if (dsyevd_ != nullptr) exports.Set("symEig", Napi::Function::New(env, SymEig));
  return exports;
}

}  // namespace

NODE_API_MODULE(ldl_native, Init)
