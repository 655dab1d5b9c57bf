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
#include <napi.h>

#include <algorithm>
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

// ---- element-wise stages (vectorised for AVX2/FMA and baseline x86-64) ----

__attribute__((noinline, target_clones("arch=haswell", "default"))) void Mul(int64_t n, const float* __restrict a,
                                                                             const float* __restrict b,
                                                                             float* __restrict out) {
  for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

// y = y * d1 + d2g * ra, in place on y (d1 or d2g may be null: identity / no term).
__attribute__((noinline, target_clones("arch=haswell", "default"))) void ActivationAdjoint(
    int64_t n, float* __restrict y, const float* __restrict d1, const float* __restrict d2g, const float* __restrict ra) {
  if (d1 && d2g) {
    for (int64_t i = 0; i < n; i++) y[i] = y[i] * d1[i] + d2g[i] * ra[i];
  } else if (d1) {
    for (int64_t i = 0; i < n; i++) y[i] *= d1[i];
  } else if (d2g) {
    for (int64_t i = 0; i < n; i++) y[i] += d2g[i] * ra[i];
  }
}

// out[j] += alpha * sum_r x[r, j] in double (the bias block of the product).
__attribute__((noinline, target_clones("arch=haswell", "default"))) void AddColumnSums(
    int64_t rows, int64_t cols, const float* __restrict x, double alpha, double* __restrict out) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    for (int64_t j = 0; j < cols; j++) out[j] += alpha * static_cast<double>(xr[j]);
  }
}

__attribute__((noinline, target_clones("arch=haswell", "default"))) void AddScaled(int64_t n, const float* __restrict x,
                                                                                   double alpha,
                                                                                   double* __restrict out) {
  for (int64_t i = 0; i < n; i++) out[i] += alpha * static_cast<double>(x[i]);
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

// hvpDense(n, sizes, bias, weights, inputs, grads, d1, d2g, p, scale, mode, v, alpha, out, work)
//   sizes Int32Array [L + 1]; bias Int32Array [L] (0/1); weights[l] [s_l * s_{l+1}];
//   inputs[l] = x_l [n * s_l]; grads[l] = g_l [n * s_{l+1}]; d1[l], d2g[l] [n * s_{l+1}] for l < L - 1
//   (null: identity / no f'' term); p [n * s_L] softmax probabilities (null: mse);
//   scale = 1 / total rows; mode 0 Hessian, 1 Gauss-Newton; v, out Float64Array [D]; work Float32Array.
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
  if (r.next != info.Length()) return r.Bad("expected 15 arguments"), fail();
  if (n == 0) return env.Undefined();
  const bool full = mode == 0;

  // Workspace: V (float32), per hidden layer R{a} and R{x}, R{z}, two R{g} buffers, weight block.
  float* vf = work;
  std::vector<int64_t> wOff(L), bOff(L);
  int64_t o = 0;
  for (int64_t l = 0; l < L; l++) {
    wOff[l] = o;
    o += s[l] * s[l + 1];
    bOff[l] = o;
    if (bias[l]) o += s[l + 1];
  }
  for (int64_t i = 0; i < d; i++) vf[i] = static_cast<float>(v[i]);
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
    Gemm(false, false, n, width, in, X[l], vf + wOff[l], bias[l] ? 1.0f : 0.0f, a);
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
    Gemm(true, false, in, width, n, X[l], rg, 0.0f, block);
    if (full && rx[l]) Gemm(true, false, in, width, n, rx[l], G[l], 1.0f, block);
    AddScaled(in * width, block, alpha, out + wOff[l]);
    if (bias[l]) AddColumnSums(n, width, rg, alpha, out + bOff[l]);
    if (l == 0) break;
    float* next = rgBuf[1 - which];
    Gemm(false, true, n, in, width, rg, W[l], 0.0f, next);
    if (full) Gemm(false, true, n, in, width, G[l], vf + wOff[l], 1.0f, next);
    ActivationAdjoint(n * in, next, D1[l - 1], full ? D2[l - 1] : nullptr, ra[l - 1]);
    rg = next;
    which = 1 - which;
  }
  return env.Undefined();
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
