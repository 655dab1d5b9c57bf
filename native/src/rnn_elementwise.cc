// Element-wise stages of the fused fixed-point kernels of lib/dynamics/fused.ts
// (vanilla, GRU, LSTM, UGRNN cells: activations, q = 1/2 |F(x) - x|^2 per row
// and the hand-written backward pass between the matrix products) and the
// Adam step of the search, on Float32Array in place.
//
// Why here: in JavaScript these loops cost one Math.exp call per activation
// and dominated the search. exp is written out (vec_exp.h: range reduction
// to [-ln2/2, ln2/2] and a degree-6 polynomial, ~1 ulp) so that GCC can
// vectorise the loops; libm's expf is a call it cannot vectorise. Gate
// complements (1 - sigmoid) and tanh' are formed from exp directly rather
// than as 1 - s or 1 - t^2, which would lose relative accuracy when a unit
// saturates; the residual of a gated cell is written (1 - z)(c - x) rather
// than c + z (x - c) - x, which cancels near a fixed point.
#include <napi.h>

#include "vec_exp.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

using ldl_vec::ExpF;

// sigmoid(a) and 1 - sigmoid(a) = sigmoid(-a).
struct Pair {
  float value, other;
};

__attribute__((always_inline)) inline Pair Sigmoid(float a) {
  const float e = ExpF(-a);
  const float inv = 1.0f / (1.0f + e);
  return {inv, e * inv};
}

// tanh(a) and its derivative 1 - tanh(a)^2 = 4 e / (1 + e)^2 with e = exp(-2|a|).
__attribute__((always_inline)) inline Pair Tanh(float a) {
  const float ax = a < 0.0f ? -a : a;
  const float e = ExpF(-2.0f * ax);
  const float inv = 1.0f / (1.0f + e);
  const float large = (1.0f - e) * inv;
  // Small |a|: 1 - e cancels, so an odd polynomial (Cephes tanhf) is used below 0.625.
  const float z = ax * ax;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = ax + ax * z * p;
  const float tm = ax < 0.625f ? small : large;
  return {a < 0.0f ? -tm : tm, 4.0f * e * inv * inv};
}

// Row sum of v[0..n) in double, in 8 independent lanes so the loop vectorises.
__attribute__((always_inline)) inline double RowSum(const float* __restrict v, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) acc[l] += static_cast<double>(v[j + l]);
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; j < n; j++) s += v[j];
  return s;
}

// ---- argument handling -----------------------------------------------------

Napi::Value Fail(const Napi::Env& env, const std::string& msg) {
  Napi::TypeError::New(env, "ldl_native." + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Reads arguments in order: counts, numbers and Float32Arrays of required lengths.
struct Args {
  const Napi::CallbackInfo& info;
  std::string name;
  size_t next = 0;
  bool ok = true;
  std::string why;
  Args(const Napi::CallbackInfo& i, const char* n) : info(i), name(n) {}
  int64_t Count(const char* what) {
    if (!ok) return 0;
    if (next >= info.Length() || !info[next].IsNumber()) return Bad(std::string(what) + " must be a number"), 0;
    double d = info[next++].As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d > 2147483647.0 || d != std::floor(d)) return Bad(std::string(what) + " must be a non-negative integer"), 0;
    return static_cast<int64_t>(d);
  }
  double Double(const char* what) {
    if (!ok) return 0;
    if (next >= info.Length() || !info[next].IsNumber()) return Bad(std::string(what) + " must be a number"), 0;
    return info[next++].As<Napi::Number>().DoubleValue();
  }
  float Number(const char* what) { return static_cast<float>(Double(what)); }
  float* Floats(const char* what, int64_t length) {
    if (!ok) return nullptr;
    if (next >= info.Length() || !info[next].IsTypedArray()) return Bad(std::string(what) + " must be a Float32Array"), nullptr;
    Napi::TypedArray ta = info[next++].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_float32_array) return Bad(std::string(what) + " must be a Float32Array"), nullptr;
    if (static_cast<int64_t>(ta.ElementLength()) < length)
      return Bad(std::string(what) + " has " + std::to_string(ta.ElementLength()) + " elements, needs " + std::to_string(length)), nullptr;
    return reinterpret_cast<float*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  }
  void Bad(const std::string& w) {
    if (ok) why = w;
    ok = false;
  }
  Napi::Value Done() {
    if (ok && next != info.Length()) Bad("expected " + std::to_string(next) + " arguments, got " + std::to_string(info.Length()));
    return ok ? info.Env().Undefined() : Fail(info.Env(), name + ": " + why);
  }
};

// ---- kernels ---------------------------------------------------------------

// One row each; separate functions with restrict parameters so that GCC vectorises them,
// compiled twice (AVX2/FMA and baseline x86-64) and picked at load time by the CPU's features
// (arch=x86-64-v3; an arch=haswell clone is picked by CPU model, so AMD and newer Intel CPUs got the baseline).
__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void GruGatesRow(int64_t n, const float* __restrict pz, const float* __restrict pr, const float* __restrict czi, const float* __restrict cri, const float* __restrict xi, float* __restrict zi, float* __restrict zci, float* __restrict ri, float* __restrict rci, float* __restrict rhi) {
  for (int64_t j = 0; j < n; j++) {
    const Pair zs = Sigmoid(pz[j] + czi[j]);
    zi[j] = zs.value;
    zci[j] = zs.other;
    const Pair rs = Sigmoid(pr[j] + cri[j]);
    ri[j] = rs.value;
    rci[j] = rs.other;
    rhi[j] = rs.value * xi[j];
  }
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) double GruOutputRow(int64_t n, const float* __restrict Ci, const float* __restrict zi, const float* __restrict zci, const float* __restrict xi, float* __restrict gi, float* __restrict gAci, float* __restrict gzi, float* __restrict dd, float inv) {
  for (int64_t j = 0; j < n; j++) {
    const Pair t_ = Tanh(Ci[j]);
    const float c = t_.value, dc = t_.other;
    const float diff = c - xi[j];
    const float d = zci[j] * diff;
    dd[j] = d * d;
    const float gF = d * inv;
    gi[j] = -gF * zci[j];
    gAci[j] = gF * zci[j] * dc;
    gzi[j] = -gF * diff * zi[j] * zci[j];
  }
  return RowSum(dd, n);
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void GruResetRow(int64_t n, const float* __restrict gi, const float* __restrict ri, const float* __restrict rci, const float* __restrict xi, float* __restrict gd, float* __restrict gr) {
  for (int64_t j = 0; j < n; j++) {
    gd[j] += gi[j] * ri[j];
    gr[j] = gi[j] * xi[j] * ri[j] * rci[j];
  }
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) double VanillaOutputRow(int64_t n, const float* __restrict Ai, const float* __restrict xi, float* __restrict gi, float* __restrict gAi, float* __restrict dd, float inv) {
  for (int64_t j = 0; j < n; j++) {
    const Pair t_ = Tanh(Ai[j]);
    const float F = t_.value, dF = t_.other;
    const float d = F - xi[j];
    dd[j] = d * d;
    gAi[j] = d * inv * dF;
    gi[j] = -d * inv;
  }
  return RowSum(dd, n);
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) double UgrnnOutputRow(int64_t n, const float* __restrict pu, const float* __restrict pc, const float* __restrict cui, const float* __restrict cci, const float* __restrict xi, float* __restrict gi, float* __restrict gu, float* __restrict gc, float* __restrict dd, float inv, float gateBias) {
  for (int64_t j = 0; j < n; j++) {
    const Pair gs = Sigmoid(pu[j] + cui[j] + gateBias);
    const Pair cs = Tanh(pc[j] + cci[j]);
    const float g = gs.value, gcomp = gs.other, c = cs.value, dc = cs.other;
    const float diff = c - xi[j];
    const float d = gcomp * diff;
    dd[j] = d * d;
    const float gF = d * inv;
    gi[j] = -gF * gcomp;
    gu[j] = -gF * diff * g * gcomp;
    gc[j] = gF * gcomp * dc;
  }
  return RowSum(dd, n);
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) double LstmOutputRow(int64_t n, const float* __restrict Pi, const float* __restrict cii, const float* __restrict cfi, const float* __restrict cgi, const float* __restrict coi, const float* __restrict xc, const float* __restrict xh, float* __restrict gc, float* __restrict gh, float* __restrict gPi, float* __restrict dd, float inv, float forgetBias) {
  for (int64_t j = 0; j < n; j++) {
    const Pair ip = Sigmoid(Pi[j] + cii[j]);
    const Pair fp = Sigmoid(Pi[n + j] + cfi[j] + forgetBias);
    const Pair gp = Tanh(Pi[2 * n + j] + cgi[j]);
    const Pair op = Sigmoid(Pi[3 * n + j] + coi[j]);
    const float si = ip.value, sic = ip.other, sf = fp.value, sfc = fp.other;
    const float tg = gp.value, dtg = gp.other, so = op.value, soc = op.other;
    const float c = xc[j], h = xh[j];
    const float c2 = sf * c + si * tg;
    const Pair cp = Tanh(c2);
    const float tc = cp.value, dtc = cp.other;
    const float dc = si * tg - sfc * c;  // c' - c without cancelling sf c against c
    const float dh = so * tc - h;
    dd[j] = dc * dc + dh * dh;
    const float gcv = dc * inv, ghv = dh * inv;
    const float gc2 = gcv + ghv * so * dtc;
    gc[j] = -gcv + gc2 * sf;
    gh[j] = -ghv;
    gPi[j] = gc2 * tg * si * sic;
    gPi[n + j] = gc2 * c * sf * sfc;
    gPi[2 * n + j] = gc2 * si * dtg;
    gPi[3 * n + j] = ghv * tc * so * soc;
  }
  return RowSum(dd, n);
}


// gruGates(N, n, ZR, cz, cr, x, z, zc, r, rc, rh): z = sig(ZR[:, :n] + cz), zc = 1 - z,
// r = sig(ZR[:, n:] + cr), rc = 1 - r, rh = r * x.
Napi::Value GruGates(const Napi::CallbackInfo& info) {
  Args a(info, "gruGates");
  const int64_t N = a.Count("N"), n = a.Count("n"), M = N * n;
  const float* ZR = a.Floats("ZR", 2 * M);
  const float* cz = a.Floats("cz", M);
  const float* cr = a.Floats("cr", M);
  const float* x = a.Floats("x", M);
  float* z = a.Floats("z", M);
  float* zc = a.Floats("zc", M);
  float* r = a.Floats("r", M);
  float* rc = a.Floats("rc", M);
  float* rh = a.Floats("rh", M);
  Napi::Value res = a.Done();
  if (!a.ok) return res;
  for (int64_t i = 0; i < N; i++) {
    GruGatesRow(n, ZR + i * 2 * n, ZR + i * 2 * n + n, cz + i * n, cr + i * n, x + i * n, z + i * n, zc + i * n, r + i * n, rc + i * n, rh + i * n);
  }
  return res;
}

// gruOutput(N, n, inv, C, z, zc, x, q, grad, gAc, gZR, d2): c = tanh(C), d = (1 - z)(c - x),
// q = 1/2 sum d^2 per row; with gF = inv d: grad = -gF (1 - z), gAc = gF (1 - z) tanh'(C),
// gZR[:, :n] = gF (x - c) z (1 - z). d2 is scratch of n elements.
Napi::Value GruOutput(const Napi::CallbackInfo& info) {
  Args a(info, "gruOutput");
  const int64_t N = a.Count("N"), n = a.Count("n"), M = N * n;
  const float inv = a.Number("inv");
  const float* C = a.Floats("C", M);
  const float* z = a.Floats("z", M);
  const float* zc = a.Floats("zc", M);
  const float* x = a.Floats("x", M);
  float* q = a.Floats("q", N);
  float* grad = a.Floats("grad", M);
  float* gAc = a.Floats("gAc", M);
  float* gZR = a.Floats("gZR", 2 * M);
  float* d2 = a.Floats("d2", n);
  Napi::Value res = a.Done();
  if (!a.ok) return res;
  for (int64_t i = 0; i < N; i++) {
    q[i] = static_cast<float>(0.5 * GruOutputRow(n, C + i * n, z + i * n, zc + i * n, x + i * n, grad + i * n, gAc + i * n, gZR + i * 2 * n, d2, inv));
  }
  return res;
}

// gruReset(N, n, grh, r, rc, x, grad, gZR): grad += grh r, gZR[:, n:] = grh x r (1 - r).
Napi::Value GruReset(const Napi::CallbackInfo& info) {
  Args a(info, "gruReset");
  const int64_t N = a.Count("N"), n = a.Count("n"), M = N * n;
  const float* grh = a.Floats("grh", M);
  const float* r = a.Floats("r", M);
  const float* rc = a.Floats("rc", M);
  const float* x = a.Floats("x", M);
  float* grad = a.Floats("grad", M);
  float* gZR = a.Floats("gZR", 2 * M);
  Napi::Value res = a.Done();
  if (!a.ok) return res;
  for (int64_t i = 0; i < N; i++) {
    GruResetRow(n, grh + i * n, r + i * n, rc + i * n, x + i * n, grad + i * n, gZR + i * 2 * n + n);
  }
  return res;
}

// vanillaOutput(N, n, inv, A, x, q, grad, gA, d2): F = tanh(A), d = F - x, q per row,
// gA = inv d tanh'(A), grad = -inv d.
Napi::Value VanillaOutput(const Napi::CallbackInfo& info) {
  Args a(info, "vanillaOutput");
  const int64_t N = a.Count("N"), n = a.Count("n"), M = N * n;
  const float inv = a.Number("inv");
  const float* A = a.Floats("A", M);
  const float* x = a.Floats("x", M);
  float* q = a.Floats("q", N);
  float* grad = a.Floats("grad", M);
  float* gA = a.Floats("gA", M);
  float* d2 = a.Floats("d2", n);
  Napi::Value res = a.Done();
  if (!a.ok) return res;
  for (int64_t i = 0; i < N; i++) {
    q[i] = static_cast<float>(0.5 * VanillaOutputRow(n, A + i * n, x + i * n, grad + i * n, gA + i * n, d2, inv));
  }
  return res;
}

// ugrnnOutput(N, n, gateBias, inv, P, cu, cc, x, q, grad, gP, d2): g = sig(P[:, :n] + cu + gateBias),
// c = tanh(P[:, n:] + cc), d = (1 - g)(c - x); grad = -gF (1 - g), gP = [gF (x - c) g (1 - g), gF (1 - g) tanh'].
Napi::Value UgrnnOutput(const Napi::CallbackInfo& info) {
  Args a(info, "ugrnnOutput");
  const int64_t N = a.Count("N"), n = a.Count("n"), M = N * n;
  const float gateBias = a.Number("gateBias");
  const float inv = a.Number("inv");
  const float* P = a.Floats("P", 2 * M);
  const float* cu = a.Floats("cu", M);
  const float* cc = a.Floats("cc", M);
  const float* x = a.Floats("x", M);
  float* q = a.Floats("q", N);
  float* grad = a.Floats("grad", M);
  float* gP = a.Floats("gP", 2 * M);
  float* d2 = a.Floats("d2", n);
  Napi::Value res = a.Done();
  if (!a.ok) return res;
  for (int64_t i = 0; i < N; i++) {
    q[i] = static_cast<float>(0.5 * UgrnnOutputRow(n, P + i * 2 * n, P + i * 2 * n + n, cu + i * n, cc + i * n, x + i * n, grad + i * n, gP + i * 2 * n, gP + i * 2 * n + n, d2, inv, gateBias));
  }
  return res;
}

// lstmOutput(N, n, forgetBias, inv, P, ci, cf, cg, co, x, q, grad, gP, d2): state rows [c, h]
// (2n); P rows [i, f, g, o] (4n). c' = sf c + si tg, h' = so tanh(c'); see lib/dynamics/fused.ts.
Napi::Value LstmOutput(const Napi::CallbackInfo& info) {
  Args a(info, "lstmOutput");
  const int64_t N = a.Count("N"), n = a.Count("n"), M = N * n;
  const float forgetBias = a.Number("forgetBias");
  const float inv = a.Number("inv");
  const float* P = a.Floats("P", 4 * M);
  const float* ci = a.Floats("ci", M);
  const float* cf = a.Floats("cf", M);
  const float* cg = a.Floats("cg", M);
  const float* co = a.Floats("co", M);
  const float* x = a.Floats("x", 2 * M);
  float* q = a.Floats("q", N);
  float* grad = a.Floats("grad", 2 * M);
  float* gP = a.Floats("gP", 4 * M);
  float* d2 = a.Floats("d2", n);
  Napi::Value res = a.Done();
  if (!a.ok) return res;
  for (int64_t r = 0; r < N; r++) {
    q[r] = static_cast<float>(0.5 * LstmOutputRow(n, P + r * 4 * n, ci + r * n, cf + r * n, cg + r * n, co + r * n, x + r * 2 * n, x + r * 2 * n + n, grad + r * 2 * n, grad + r * 2 * n + n, gP + r * 4 * n, d2, inv, forgetBias));
  }
  return res;
}

// sumSquares(g): sum of g^2 in double.
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    return Fail(env, "sumSquares: expected (g: Float32Array)");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  const float* __restrict g = reinterpret_cast<const float*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  const int64_t len = static_cast<int64_t>(ta.ElementLength());
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= len; k += 8)
    for (int l = 0; l < 8; l++) acc[l] += static_cast<double>(g[k + l]) * g[k + l];
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; k < len; k++) s += static_cast<double>(g[k]) * g[k];
  return Napi::Number::New(env, s);
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void AdamLoop(int64_t len, float scale, float b1, float a1,
    float b2, float a2, float step, float c2, float eps, const float* __restrict g, float* __restrict m, float* __restrict v,
    float* __restrict x) {
  for (int64_t k = 0; k < len; k++) {
    const float gk = g[k] * scale;
    const float mk = b1 * m[k] + a1 * gk;
    const float vk = b2 * v[k] + a2 * gk * gk;
    m[k] = mk;
    v[k] = vk;
    x[k] -= step * mk / (std::sqrt(vk * c2) + eps);
  }
}

// adamStep(len, scale, b1, b2, step, c2, eps, g, m, v, x): with gk = scale g,
// m = b1 m + (1 - b1) gk, v = b2 v + (1 - b2) gk^2, x -= step m / (sqrt(c2 v) + eps).
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Args a(info, "adamStep");
  const int64_t len = a.Count("len");
  const float scale = a.Number("scale");
  const double b1d = a.Double("b1"), b2d = a.Double("b2");
  const float step = a.Number("step"), c2 = a.Number("c2"), eps = a.Number("eps");
  const float* __restrict g = a.Floats("g", len);
  float* __restrict m = a.Floats("m", len);
  float* __restrict v = a.Floats("v", len);
  float* __restrict x = a.Floats("x", len);
  Napi::Value res = a.Done();
  if (!a.ok) return res;
  // 1 - b in double: in float, 1 - 0.999f is off by 1e-5 relative.
  const float b1 = static_cast<float>(b1d), b2 = static_cast<float>(b2d);
  const float a1 = static_cast<float>(1.0 - b1d), a2 = static_cast<float>(1.0 - b2d);
  AdamLoop(len, scale, b1, a1, b2, a2, step, c2, eps, g, m, v, x);
  return res;
}

}  // namespace

void RegisterRnnElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("gruGates", Napi::Function::New(env, GruGates));
  exports.Set("gruOutput", Napi::Function::New(env, GruOutput));
  exports.Set("gruReset", Napi::Function::New(env, GruReset));
  exports.Set("vanillaOutput", Napi::Function::New(env, VanillaOutput));
  exports.Set("ugrnnOutput", Napi::Function::New(env, UgrnnOutput));
  exports.Set("lstmOutput", Napi::Function::New(env, LstmOutput));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
}
