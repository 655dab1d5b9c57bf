// Fused curvature-vector products for dense networks (lib/landscape/fused-products.ts):
// the R-operator passes of lib/landscape/products.ts in one native call per chunk of
// rows, on the cached forward state, with every intermediate in one caller-owned
// workspace (no allocation per product) and each GEMM accumulating into its output
// (beta = 1) instead of a separate add.
//
// Network: L dense layers a_l = x_l W_l + b_l (W_l [s_l, s_{l+1}], rows are examples),
// between consecutive layers an optional element-wise activation x_{l+1} = f(a_l)
// (none = identity). Cached state per layer: x_l, g_l = dL/da_l, and per activation
// d1 = f'(a) and d2g = f''(a) * dL/dx_{l+1} (null for ReLU/linear, where f'' = 0).
// Direction (V_l, u_l); product written as out += alpha * (H v or G v).
//   R forward:  R{a_l} = x_l V_l + u_l + R{x_l} W_l,  R{x_{l+1}} = d1 * R{a_l}
//   output:     cross-entropy R{g_z} = s * p * (R{z} - <p, R{z}>_row),  mse R{g_z} = s * R{z}
//               (s = 1 / rows of the whole data set)
//   R backward: (Hv)_{W_l} = x_l^T R{g_l} + R{x_l}^T g_l,  (Hv)_{b_l} = colsum R{g_l}
//               R{dL/dx_l} = R{g_l} W_l^T + g_l V_l^T
//               R{g_{l-1}} = d1 * R{dL/dx_l} + d2g * R{a_{l-1}}
// Gauss-Newton (mode 1) drops R{x_l}^T g_l, g_l V_l^T and the d2g term.
//
// Sparse input: when the caller passes the first layer's input x_0 in compressed-row
// form (it is fixed for an operator's life: built once), the two products with it,
// x_0 V_0 and x_0^T R{g_0}, skip its zeros (MNIST: 81% of pixels). x_0 V_0 runs over the
// stored entries, each adding a row of V_0 per 64-column block held in registers (on
// MNIST 0.65x the dense GEMM's time). For x_0^T R{g_0} that scatter is store-bound and no
// faster than the GEMM, so it stays a GEMM, over the columns of x_0 that hold any nonzero
// (the caller passes them compacted: 649 of MNIST's 784 pixels in 4,096 images).
#include <napi.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
}

void RegisterFusedLandscape(Napi::Env env, Napi::Object exports);

namespace {

constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

// C [m, n] = op(A) op(B) + beta C, row-major, leading dimensions = row lengths.
void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float beta, float* c) {
  cblas_sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, (int)m, (int)n, (int)k, 1.0f, a,
              (int)(ta ? m : k), b, (int)(tb ? k : n), beta, c, (int)n);
}

// ---- element-wise stages: x86-64-v3 (AVX2, FMA) and baseline clones. Not "arch=haswell": that clone is
// picked by CPU model (Intel Haswell only), so AMD and later Intel CPUs would get the baseline one. ----

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void Mul(int64_t n, const float* __restrict a,
                                                                             const float* __restrict b,
                                                                             float* __restrict out) {
  for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

// y = y * d1 + d2g * ra, in place on y (d1 or d2g may be null: identity / no term).
__attribute__((always_inline)) inline void ActivationAdjointRow(int64_t n, float* __restrict y, const float* __restrict d1,
                                                                const float* __restrict d2g, const float* __restrict ra) {
  if (d1 && d2g) {
    for (int64_t i = 0; i < n; i++) y[i] = y[i] * d1[i] + d2g[i] * ra[i];
  } else if (d1) {
    for (int64_t i = 0; i < n; i++) y[i] *= d1[i];
  } else if (d2g) {
    for (int64_t i = 0; i < n; i++) y[i] += d2g[i] * ra[i];
  }
}

// The adjoint above on y [rows, cols] and, when sums is not null, sums[j] += alpha * y[i, j] in double (the bias
// block of the layer below) in the same pass, row by row while the row is in cache: the same operations in the same
// order as AddColumnSums after it, one read of y fewer.
__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void ActivationAdjoint(
    int64_t rows, int64_t cols, float* __restrict y, const float* __restrict d1, const float* __restrict d2g,
    const float* __restrict ra, double alpha, double* __restrict sums) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * cols;
    ActivationAdjointRow(cols, y + o, d1 ? d1 + o : nullptr, d2g ? d2g + o : nullptr, ra + o);
    if (sums) {
      const float* yr = y + o;
      for (int64_t j = 0; j < cols; j++) sums[j] += alpha * static_cast<double>(yr[j]);
    }
  }
}

// out[j] += alpha * sum_r x[r, j] in double (the bias block of the product).
__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void AddColumnSums(
    int64_t rows, int64_t cols, const float* __restrict x, double alpha, double* __restrict out) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    for (int64_t j = 0; j < cols; j++) out[j] += alpha * static_cast<double>(xr[j]);
  }
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void AddScaled(int64_t n, const float* __restrict x,
                                                                                   double alpha,
                                                                                   double* __restrict out) {
  for (int64_t i = 0; i < n; i++) out[i] += alpha * static_cast<double>(x[i]);
}

// ---- products with the sparse first-layer input (compressed rows: ptr [n + 1], col, val) ----

typedef float V8 __attribute__((vector_size(32)));
typedef float V8u __attribute__((vector_size(32), aligned(4)));  // unaligned loads and stores

// C[i, j0 .. j0 + 8 NV) += sum_k val_k B[col_k, j0 ..) for every row i (C pre-filled by the caller).
template <int NV>
__attribute__((always_inline)) inline void CsrTimesBlock(int64_t n, const int32_t* ptr, const int32_t* col, const float* val,
                                                         const float* b, int64_t m, int64_t j0, float* c) {
  for (int64_t i = 0; i < n; i++) {
    V8 acc[NV];
    float* ci = c + i * m + j0;
    for (int q = 0; q < NV; q++) acc[q] = *reinterpret_cast<const V8u*>(ci + 8 * q);
    for (int32_t k = ptr[i]; k < ptr[i + 1]; k++) {
      const float* bk = b + static_cast<int64_t>(col[k]) * m + j0;
      const float v = val[k];
      for (int q = 0; q < NV; q++) acc[q] += v * *reinterpret_cast<const V8u*>(bk + 8 * q);
    }
    for (int q = 0; q < NV; q++) *reinterpret_cast<V8u*>(ci + 8 * q) = acc[q];
  }
}

// C [n, m] += X B, X sparse [n, k], B dense [k, m]. Column blocks outermost: one block of B stays in cache.
__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void CsrTimesDense(
    int64_t n, const int32_t* ptr, const int32_t* col, const float* val, const float* b, int64_t m, float* c) {
  int64_t j0 = 0;
  for (; j0 + 64 <= m; j0 += 64) CsrTimesBlock<8>(n, ptr, col, val, b, m, j0, c);
  for (; j0 + 8 <= m; j0 += 8) CsrTimesBlock<1>(n, ptr, col, val, b, m, j0, c);
  for (; j0 < m; j0++)
    for (int64_t i = 0; i < n; i++) {
      float acc = c[i * m + j0];
      for (int32_t k = ptr[i]; k < ptr[i + 1]; k++) acc += val[k] * b[static_cast<int64_t>(col[k]) * m + j0];
      c[i * m + j0] = acc;
    }
}

// C[col_k, j0 .. j0 + 8 NV) += val_k R[i, j0 ..) for every stored entry (i, col_k).
template <int NV>
__attribute__((always_inline)) inline void CsrTransposeBlock(int64_t n, const int32_t* ptr, const int32_t* col, const float* val,
                                                             const float* r, int64_t m, int64_t j0, float* c) {
  for (int64_t i = 0; i < n; i++) {
    V8 ri[NV];
    for (int q = 0; q < NV; q++) ri[q] = *reinterpret_cast<const V8u*>(r + i * m + j0 + 8 * q);
    for (int32_t k = ptr[i]; k < ptr[i + 1]; k++) {
      float* ck = c + static_cast<int64_t>(col[k]) * m + j0;
      const float v = val[k];
      for (int q = 0; q < NV; q++) *reinterpret_cast<V8u*>(ck + 8 * q) += v * ri[q];
    }
  }
}

// C [k, m] = X^T R, X sparse [n, k], R dense [n, m] (C zeroed here).
__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void CsrTransposeTimesDense(
    int64_t n, int64_t k, const int32_t* ptr, const int32_t* col, const float* val, const float* r, int64_t m, float* c) {
  std::memset(c, 0, k * m * sizeof(float));
  int64_t j0 = 0;
  for (; j0 + 64 <= m; j0 += 64) CsrTransposeBlock<8>(n, ptr, col, val, r, m, j0, c);
  for (; j0 + 8 <= m; j0 += 8) CsrTransposeBlock<1>(n, ptr, col, val, r, m, j0, c);
  for (; j0 < m; j0++)
    for (int64_t i = 0; i < n; i++)
      for (int32_t q = ptr[i]; q < ptr[i + 1]; q++) c[static_cast<int64_t>(col[q]) * m + j0] += val[q] * r[i * m + j0];
}

// ---- arguments ----

struct Reader {
  const Napi::CallbackInfo& info;
  size_t next = 0;
  std::string why;
  explicit Reader(const Napi::CallbackInfo& i) : info(i) {}
  bool Bad(const std::string& w) {
    if (why.empty()) why = w;
    return false;
  }
  bool Int(const char* what, int64_t* out) {
    if (next >= info.Length() || !info[next].IsNumber()) return Bad(std::string(what) + " must be a number");
    const double d = info[next++].As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d > 2147483647.0 || d != static_cast<double>(static_cast<int64_t>(d)))
      return Bad(std::string(what) + " must be a non-negative integer");
    *out = static_cast<int64_t>(d);
    return true;
  }
  bool Real(const char* what, double* out) {
    if (next >= info.Length() || !info[next].IsNumber()) return Bad(std::string(what) + " must be a number");
    *out = info[next++].As<Napi::Number>().DoubleValue();
    return true;
  }
  // A typed array of the given type and at least `length` elements; null allowed when `optional`.
  template <typename T>
  bool Typed(const Napi::Value& v, napi_typedarray_type type, const std::string& what, int64_t length, bool optional,
             T** out) {
    if (optional && (v.IsNull() || v.IsUndefined())) {
      *out = nullptr;
      return true;
    }
    const char* tname = type == napi_float32_array ? "Float32Array" : type == napi_float64_array ? "Float64Array" : "Int32Array";
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) return Bad(what + " must be a " + tname);
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if (static_cast<int64_t>(ta.ElementLength()) < length)
      return Bad(what + " has " + std::to_string(ta.ElementLength()) + " elements, needs " + std::to_string(length));
    *out = reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
    return true;
  }
  template <typename T>
  bool Arg(napi_typedarray_type type, const char* what, int64_t length, bool optional, T** out) {
    if (next >= info.Length()) return Bad(std::string(what) + " is missing");
    return Typed(info[next++], type, what, length, optional, out);
  }
  // A JS array of `count` typed arrays, entry i at least lengths[i] long.
  bool List(const char* what, const std::vector<int64_t>& lengths, bool optional, std::vector<float*>* out) {
    if (next >= info.Length() || !info[next].IsArray()) return Bad(std::string(what) + " must be an array");
    Napi::Array arr = info[next++].As<Napi::Array>();
    if (arr.Length() != lengths.size())
      return Bad(std::string(what) + " has " + std::to_string(arr.Length()) + " entries, needs " + std::to_string(lengths.size()));
    out->assign(lengths.size(), nullptr);
    for (uint32_t i = 0; i < arr.Length(); i++) {
      if (!Typed(arr.Get(i), napi_float32_array, std::string(what) + "[" + std::to_string(i) + "]", lengths[i], optional,
                 &(*out)[i]))
        return false;
    }
    return true;
  }
};

// Workspace floats: V in float32 (D), R{a} and R{x} per hidden layer, R{z}, two R{g} buffers, one weight block.
int64_t WorkspaceLength(int64_t n, const std::vector<int64_t>& s, int64_t d) {
  const size_t L = s.size() - 1;
  int64_t len = d, widest = 0, block = 0;
  for (size_t l = 0; l < L; l++) {
    if (l + 1 < L) len += 2 * n * s[l + 1];
    widest = std::max(widest, s[l + 1]);
    if (l > 0) widest = std::max(widest, s[l]);
    block = std::max(block, s[l] * s[l + 1]);
  }
  return len + n * s[L] + 2 * n * widest + block;
}

// hvpDense(n, sizes, bias, weights, inputs, grads, d1, d2g, p, scale, mode, v, alpha, out, work[, ptr, col, val, keep, xc])
//   returns -1, or the index of the first entry of v that is not finite or beyond float32 range (nothing computed)
//   sizes Int32Array [L + 1]; bias Int32Array [L] (0/1); weights[l] [s_l * s_{l+1}];
//   inputs[l] = x_l [n * s_l]; grads[l] = g_l [n * s_{l+1}]; d1[l], d2g[l] [n * s_{l+1}] for l < L - 1
//   (null: identity / no f'' term); p [n * s_L] softmax probabilities (null: mse);
//   scale = 1 / total rows; mode 0 Hessian, 1 Gauss-Newton; v, out Float64Array [D]; work Float32Array;
//   optionally x_0 in compressed rows: ptr Int32Array [n + 1], col Int32Array, val Float32Array [ptr[n]]
//   (or nulls), and its nonzero columns: keep Int32Array [k] (increasing), xc Float32Array [n * k] (or nulls).
Napi::Value HvpDense(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader r(info);
  int64_t n = 0, L = 0;
  int32_t* sizes = nullptr;
  int32_t* bias = nullptr;
  std::vector<int64_t> s;
  std::vector<float*> W, X, G, D1, D2;
  float* p = nullptr;
  float* work = nullptr;
  double scale = 0, alpha = 0;
  int64_t mode = 0, d = 0;
  double* v = nullptr;
  double* out = nullptr;
  auto fail = [&]() {
    Napi::TypeError::New(env, "ldl_native.hvpDense: " + r.why).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (!r.Int("n", &n)) return fail();
  if (r.next >= info.Length() || !info[r.next].IsTypedArray()) return r.Bad("sizes must be an Int32Array"), fail();
  L = static_cast<int64_t>(info[r.next].As<Napi::TypedArray>().ElementLength()) - 1;
  if (L < 1) return r.Bad("sizes needs at least 2 entries"), fail();
  if (!r.Arg(napi_int32_array, "sizes", L + 1, false, &sizes)) return fail();
  if (!r.Arg(napi_int32_array, "bias", L, false, &bias)) return fail();
  for (int64_t l = 0; l <= L; l++) {
    if (sizes[l] < 1) return r.Bad("sizes must be positive"), fail();
    s.push_back(sizes[l]);
  }
  std::vector<int64_t> wLen, xLen, gLen, aLen;
  for (int64_t l = 0; l < L; l++) {
    wLen.push_back(s[l] * s[l + 1]);
    xLen.push_back(n * s[l]);
    gLen.push_back(n * s[l + 1]);
    if (l + 1 < L) aLen.push_back(n * s[l + 1]);
    d += s[l] * s[l + 1] + (bias[l] ? s[l + 1] : 0);
  }
  if (!r.List("weights", wLen, false, &W) || !r.List("inputs", xLen, false, &X) || !r.List("grads", gLen, false, &G) ||
      !r.List("d1", aLen, true, &D1) || !r.List("d2g", aLen, true, &D2) ||
      !r.Arg(napi_float32_array, "p", n * s[L], true, &p) || !r.Real("scale", &scale) || !r.Int("mode", &mode) ||
      !r.Arg(napi_float64_array, "v", d, false, &v) || !r.Real("alpha", &alpha) ||
      !r.Arg(napi_float64_array, "out", d, false, &out) ||
      !r.Arg(napi_float32_array, "work", WorkspaceLength(n, s, d), false, &work))
    return fail();
  if (mode > 1) return r.Bad("mode must be 0 (Hessian) or 1 (Gauss-Newton)"), fail();
  int32_t* ptr = nullptr;
  int32_t* col = nullptr;
  float* val = nullptr;
  int32_t* keep = nullptr;
  float* xc = nullptr;
  int64_t kept = 0;
  if (r.next < info.Length() && !r.Arg(napi_int32_array, "ptr", n + 1, true, &ptr)) return fail();
  if (ptr) {
    const int64_t nnz = ptr[n];
    if (ptr[0] != 0 || nnz < 0) return r.Bad("ptr must start at 0 and end at the entry count"), fail();
    for (int64_t i = 0; i < n; i++)
      if (ptr[i + 1] < ptr[i]) return r.Bad("ptr must be non-decreasing"), fail();
    if (!r.Arg(napi_int32_array, "col", nnz, false, &col) || !r.Arg(napi_float32_array, "val", nnz, false, &val)) return fail();
    for (int64_t q = 0; q < nnz; q++)
      if (col[q] < 0 || col[q] >= s[0]) return r.Bad("col holds " + std::to_string(col[q]) + ", outside [0, " + std::to_string(s[0]) + ")"), fail();
  } else if (r.next < info.Length()) {
    r.next += 2;  // col, val: unused without ptr
  }
  if (r.next < info.Length()) {
    if (!info[r.next].IsNull() && !info[r.next].IsUndefined()) {
      if (!info[r.next].IsTypedArray()) return r.Bad("keep must be an Int32Array"), fail();
      kept = static_cast<int64_t>(info[r.next].As<Napi::TypedArray>().ElementLength());
    }
    if (!r.Arg(napi_int32_array, "keep", kept, true, &keep) || !r.Arg(napi_float32_array, "xc", n * kept, keep == nullptr, &xc))
      return fail();
    for (int64_t j = 0; j < kept; j++)
      if (keep[j] < 0 || keep[j] >= s[0] || (j > 0 && keep[j] <= keep[j - 1])) return r.Bad("keep must be increasing column indices below " + std::to_string(s[0])), fail();
  }
  if (r.next != info.Length()) return r.Bad("expected 15 or 20 arguments"), fail();
  // V in float32, checked in the same pass (the caller's guard: finite and within float32 range); the first
  // entry that is not is returned, before anything is written to out.
  float* vf = work;
  for (int64_t i = 0; i < d; i++) {
    if (!(std::fabs(v[i]) <= static_cast<double>(FLT_MAX))) return Napi::Number::New(env, static_cast<double>(i));
    vf[i] = static_cast<float>(v[i]);
  }
  if (n == 0) return Napi::Number::New(env, -1);
  const bool full = mode == 0;

  // Workspace: V (float32, written above), per hidden layer R{a} and R{x}, R{z}, two R{g} buffers, weight block.
  std::vector<int64_t> wOff(L), bOff(L);
  int64_t o = 0;
  for (int64_t l = 0; l < L; l++) {
    wOff[l] = o;
    o += s[l] * s[l + 1];
    bOff[l] = o;
    if (bias[l]) o += s[l + 1];
  }
  float* cursor = work + d;
  std::vector<float*> ra(L, nullptr), rx(L, nullptr);  // rx[l] = R{x_l}, null for the input
  for (int64_t l = 0; l + 1 < L; l++) {
    ra[l] = cursor;
    cursor += n * s[l + 1];
    rx[l + 1] = cursor;
    cursor += n * s[l + 1];
  }
  float* rz = cursor;
  cursor += n * s[L];
  int64_t widest = 0;
  for (int64_t l = 0; l < L; l++) widest = std::max({widest, s[l + 1], l > 0 ? s[l] : 0});
  float* rgBuf[2] = {cursor, cursor + n * widest};
  cursor += 2 * n * widest;
  float* block = cursor;

  // R forward.
  for (int64_t l = 0; l < L; l++) {
    const int64_t in = s[l], width = s[l + 1];
    float* a = l + 1 < L ? ra[l] : rz;
    if (bias[l]) {
      for (int64_t i = 0; i < n; i++) std::memcpy(a + i * width, vf + bOff[l], width * sizeof(float));
    }
    if (l == 0 && ptr) {
      if (!bias[l]) std::memset(a, 0, n * width * sizeof(float));
      CsrTimesDense(n, ptr, col, val, vf + wOff[l], width, a);
    } else {
      Gemm(false, false, n, width, in, X[l], vf + wOff[l], bias[l] ? 1.0f : 0.0f, a);
    }
    if (rx[l]) Gemm(false, false, n, width, in, rx[l], W[l], 1.0f, a);
    if (l + 1 < L) {
      if (D1[l]) Mul(n * width, a, D1[l], rx[l + 1]);
      else std::memcpy(rx[l + 1], a, n * width * sizeof(float));
    }
  }

  // Output: R{g_z}.
  const int64_t C = s[L];
  float* rg = rgBuf[0];
  if (p) {
    for (int64_t i = 0; i < n; i++) {
      const float* pi = p + i * C;
      const float* zi = rz + i * C;
      float dot = 0;
      for (int64_t c = 0; c < C; c++) dot += pi[c] * zi[c];
      for (int64_t c = 0; c < C; c++) rg[i * C + c] = static_cast<float>(scale) * pi[c] * (zi[c] - dot);
    }
  } else {
    const float sc = static_cast<float>(scale);
    for (int64_t i = 0; i < n * C; i++) rg[i] = sc * rz[i];
  }

  // R backward.
  int which = 0;
  for (int64_t l = L - 1; l >= 0; l--) {
    const int64_t in = s[l], width = s[l + 1];
    if (l == 0 && keep) {
      // Only the kept columns' rows of the weight block are nonzero.
      if (kept > 0) Gemm(true, false, kept, width, n, xc, rg, 0.0f, block);
      for (int64_t j = 0; j < kept; j++) AddScaled(width, block + j * width, alpha, out + wOff[l] + keep[j] * width);
    } else {
      if (l == 0 && ptr) CsrTransposeTimesDense(n, in, ptr, col, val, rg, width, block);
      else Gemm(true, false, in, width, n, X[l], rg, 0.0f, block);
      if (full && rx[l]) Gemm(true, false, in, width, n, rx[l], G[l], 1.0f, block);
      AddScaled(in * width, block, alpha, out + wOff[l]);
    }
    // The bias block: summed here for the output layer; for a hidden layer by the adjoint pass that made rg.
    if (bias[l] && l == L - 1) AddColumnSums(n, width, rg, alpha, out + bOff[l]);
    if (l == 0) break;
    float* next = rgBuf[1 - which];
    Gemm(false, true, n, in, width, rg, W[l], 0.0f, next);
    if (full) Gemm(false, true, n, in, width, G[l], vf + wOff[l], 1.0f, next);
    ActivationAdjoint(n, in, next, D1[l - 1], full ? D2[l - 1] : nullptr, ra[l - 1], alpha, bias[l - 1] ? out + bOff[l - 1] : nullptr);
    rg = next;
    which = 1 - which;
  }
  return Napi::Number::New(env, -1);
}

// hvpDenseWorkspace(n, sizes, bias): floats the workspace of hvpDense needs.
Napi::Value HvpDenseWorkspace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader r(info);
  int64_t n = 0;
  int32_t* sizes = nullptr;
  int32_t* bias = nullptr;
  if (!r.Int("n", &n) || info.Length() != 3 || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "ldl_native.hvpDenseWorkspace: expected (n, sizes Int32Array, bias Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int64_t L = static_cast<int64_t>(info[1].As<Napi::TypedArray>().ElementLength()) - 1;
  if (L < 1 || !r.Arg(napi_int32_array, "sizes", L + 1, false, &sizes) || !r.Arg(napi_int32_array, "bias", L, false, &bias)) {
    Napi::TypeError::New(env, "ldl_native.hvpDenseWorkspace: " + (r.why.empty() ? std::string("sizes needs at least 2 entries") : r.why)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<int64_t> s(sizes, sizes + L + 1);
  int64_t d = 0;
  for (int64_t l = 0; l < L; l++) d += s[l] * s[l + 1] + (bias[l] ? s[l + 1] : 0);
  return Napi::Number::New(env, static_cast<double>(WorkspaceLength(n, s, d)));
}

}  // namespace

void RegisterFusedLandscape(Napi::Env env, Napi::Object exports) {
  exports.Set("hvpDense", Napi::Function::New(env, HvpDense));
  exports.Set("hvpDenseWorkspace", Napi::Function::New(env, HvpDenseWorkspace));
}
