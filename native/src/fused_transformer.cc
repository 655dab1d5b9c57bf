// The ViT's attention and GELU loops (lib/rules/transformer.ts; its JavaScript kernels, transformerKernelsJs, are the
// reference these are tested against), on Float32Array in place. In JavaScript the per-(example, head) products went
// through one gemm call each and the softmax and GELU through one Math.exp per element, which together took about a
// third of a ViT training step.
//
//   attention, per example e and head h (dh = d / heads; q, k, v head h's columns of x [N, T, 3d], leading dim 3d):
//     forward   A = softmax(c q k^T) (rows; each shifted by its maximum), out[:, h] = A v      attentionForward
//     backward  G = dO v^T, dv = A^T dO, dS = c A * (G - rowsum(G * A)), dq = dS k, dk = dS^T q  attentionBackward
//   GELU, exact: f(a) = a Phi(a), f'(a) = Phi(a) + a phi(a), with erf by Abramowitz-Stegun 7.1.26
//     (|error| <= 1.5e-7, tfjs's erf kernel's formula), Phi formed without cancelling for a < 0     geluForward/Backward
//
// exp is ldl_vec::ExpF (about 1 ulp), the softmax sums in double; results agree with the JavaScript to float32 rounding.
#include "fused_common.h"
#include "vec_exp.h"

namespace {

using ldl_fused::Mul;
using ldl_fused::Reader;
using ldl_vec::ExpF;

// Softmax of each row of S [t, t] in place.
__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void SoftmaxRows(int64_t t, float* __restrict S) {
  for (int64_t i = 0; i < t; i++) {
    float* row = S + i * t;
    float m = row[0];
    for (int64_t j = 1; j < t; j++) m = row[j] > m ? row[j] : m;
    // exp in a loop of its own so that it vectorises (the double sum beside it kept it scalar)
    for (int64_t j = 0; j < t; j++) row[j] = ExpF(row[j] - m);
    double z = 0;
    for (int64_t j = 0; j < t; j++) z += row[j];
    const float inv = static_cast<float>(1.0 / z);
    for (int64_t j = 0; j < t; j++) row[j] *= inv;
  }
}

// G = c A * (G - rowsum(G * A)) in place, rows of [t, t].
__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void SoftmaxAdjointRows(int64_t t, float c, const float* __restrict A,
                                                                                             float* __restrict G) {
  for (int64_t i = 0; i < t; i++) {
    const float* a = A + i * t;
    float* g = G + i * t;
    double s = 0;
    for (int64_t j = 0; j < t; j++) s += static_cast<double>(g[j]) * a[j];
    const float sf = static_cast<float>(s);
    for (int64_t j = 0; j < t; j++) g[j] = c * a[j] * (g[j] - sf);
  }
}

struct AttentionArgs {
  int64_t n, t, heads, d, dh;
  float scale;
};

AttentionArgs ReadAttention(Reader& r) {
  AttentionArgs g;
  g.n = r.Int("n");
  g.t = r.Int("t");
  g.heads = r.Int("heads");
  g.d = r.Int("d");
  g.scale = static_cast<float>(r.Real("scale"));
  if (r.Ok() && (g.heads < 1 || g.d % g.heads != 0)) r.Error("heads", "must be at least 1 and divide d (" + std::to_string(g.d) + ")");
  g.dh = r.Ok() ? g.d / g.heads : 0;
  return g;
}

// A_h = softmax(c q k^T) of example e, head h, into A [t, t].
void WeightsInto(const AttentionArgs& g, const float* x, int64_t e, int64_t h, float* A) {
  const float* base = x + e * g.t * 3 * g.d + h * g.dh;
  Mul(false, true, g.t, g.t, g.dh, base, 3 * g.d, base + g.d, 3 * g.d, 0.0f, A, g.t, g.scale);
  SoftmaxRows(g.t, A);
}

// attentionForward(n, t, heads, d, scale, x, A, out): x [n, t, 3d]; A [n, heads, t, t] and out [n, t, d] written.
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  Reader r(info, "attentionForward");
  const AttentionArgs g = ReadAttention(r);
  const float* x = r.F32("x", g.n * g.t * 3 * g.d);
  float* A = r.F32("A", g.n * g.heads * g.t * g.t);
  float* out = r.F32("out", g.n * g.t * g.d);
  if (!r.Finish()) return info.Env().Undefined();
  for (int64_t e = 0; e < g.n; e++)
    for (int64_t h = 0; h < g.heads; h++) {
      float* Ah = A + (e * g.heads + h) * g.t * g.t;
      WeightsInto(g, x, e, h, Ah);
      Mul(false, false, g.t, g.dh, g.t, Ah, g.t, x + e * g.t * 3 * g.d + 2 * g.d + h * g.dh, 3 * g.d, 0.0f, out + e * g.t * g.d + h * g.dh, g.d);
    }
  return info.Env().Undefined();
}

// attentionBackward(n, t, heads, d, scale, dy, x, A, dx): dy [n, t, d], x [n, t, 3d], A the forward's weights
// [n, heads, t, t] or null (recomputed from x); dx [n, t, 3d] written (dq | dk | dv per head).
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Reader r(info, "attentionBackward");
  const AttentionArgs g = ReadAttention(r);
  const float* dy = r.F32("dy", g.n * g.t * g.d);
  const float* x = r.F32("x", g.n * g.t * 3 * g.d);
  const float* weights = r.F32("A", g.n * g.heads * g.t * g.t, true);
  float* dx = r.F32("dx", g.n * g.t * 3 * g.d);
  if (!r.Finish()) return info.Env().Undefined();
  const int64_t t = g.t, d = g.d, dh = g.dh;
  thread_local std::vector<float> scratch;
  scratch.resize(static_cast<size_t>(2 * t * t));
  float* G = scratch.data();
  float* own = G + t * t;
  for (int64_t e = 0; e < g.n; e++) {
    const int64_t base = e * t * 3 * d;
    for (int64_t h = 0; h < g.heads; h++) {
      const float* A = weights ? weights + (e * g.heads + h) * t * t : own;
      if (!weights) WeightsInto(g, x, e, h, own);
      const float* dO = dy + e * t * d + h * dh;
      const float* q = x + base + h * dh;
      const float* k = q + d;
      const float* v = q + 2 * d;
      Mul(false, true, t, t, dh, dO, d, v, 3 * d, 0.0f, G, t);                   // G = dO v^T
      Mul(true, false, t, dh, t, A, t, dO, d, 0.0f, dx + base + 2 * d + h * dh, 3 * d);  // dv = A^T dO
      SoftmaxAdjointRows(t, g.scale, A, G);                                       // dS
      Mul(false, false, t, dh, t, G, t, k, 3 * d, 0.0f, dx + base + h * dh, 3 * d);      // dq = dS k
      Mul(true, false, t, dh, t, G, t, q, 3 * d, 0.0f, dx + base + d + h * dh, 3 * d);   // dk = dS^T q
    }
  }
  return info.Env().Undefined();
}

// Phi(a) = (1 + erf(a / sqrt 2)) / 2 and e = exp(-a^2 / 2); for a < 0 it is q / 2 with q = poly(t) e, not 1 - (1 - q)
// / 2, which would cancel.
__attribute__((always_inline)) inline float PhiAndExp(float a, float* e) {
  const float z = (a < 0.0f ? -a : a) * 0.70710678118654752f;
  const float t = 1.0f / (1.0f + 0.3275911f * z);
  *e = ExpF(-0.5f * a * a);
  const float q = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t * *e;
  return a < 0.0f ? 0.5f * q : 1.0f - 0.5f * q;
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void GeluLoop(int64_t n, const float* __restrict x, float* __restrict y) {
  for (int64_t i = 0; i < n; i++) {
    float e;
    y[i] = x[i] * PhiAndExp(x[i], &e);
  }
}

__attribute__((noinline, target_clones("arch=x86-64-v3", "default"))) void GeluBackwardLoop(int64_t n, const float* __restrict x, const float* __restrict dy,
                                                                                           float* __restrict out) {
  constexpr float kInvSqrt2Pi = 0.39894228040143268f;
  for (int64_t i = 0; i < n; i++) {
    float e;
    const float phi = PhiAndExp(x[i], &e);
    out[i] = dy[i] * (phi + x[i] * kInvSqrt2Pi * e);
  }
}

// geluForward(n, x, y): y = x Phi(x).
Napi::Value GeluForward(const Napi::CallbackInfo& info) {
  Reader r(info, "geluForward");
  const int64_t n = r.Int("n");
  const float* x = r.F32("x", n);
  float* y = r.F32("y", n);
  if (!r.Finish()) return info.Env().Undefined();
  GeluLoop(n, x, y);
  return info.Env().Undefined();
}

// geluBackward(n, x, dy, out): out = dy (Phi(x) + x phi(x)).
Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  Reader r(info, "geluBackward");
  const int64_t n = r.Int("n");
  const float* x = r.F32("x", n);
  const float* dy = r.F32("dy", n);
  float* out = r.F32("out", n);
  if (!r.Finish()) return info.Env().Undefined();
  GeluBackwardLoop(n, x, dy, out);
  return info.Env().Undefined();
}

}  // namespace

void RegisterFusedTransformer(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Value (*)(const Napi::CallbackInfo&)> kernels[] = {
      {"attentionForward", AttentionForward}, {"attentionBackward", AttentionBackward}, {"geluForward", GeluForward}, {"geluBackward", GeluBackward}};
  for (const auto& k : kernels) exports.Set(k.first, Napi::Function::New(env, k.second));
}
