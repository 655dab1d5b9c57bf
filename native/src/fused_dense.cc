// Fused training kernels of dense layers (lib/rules/fused.ts): one call for a
// layer's forward pass, one for its backward pass, one for the loss and its
// output error, one for an optimiser update, all on Float32Array in place, so
// a training step crosses from JavaScript once per layer and stage and
// allocates nothing.
//
// Orientation as in lib/rules (examples are rows): a = x W + b with x [N, in],
// W [in, out]; h = f(a).
//   denseForward   a = x W (+ b) by one sgemm with beta = 1 over the bias rows,
//                  then h = f(a) in place (f: linear, relu, tanh, sigmoid).
//   denseBackward  delta = dh * f'(h) (in place; f' from the output h:
//                  relu 1[h > 0], tanh 1 - h^2, sigmoid h (1 - h)),
//                  gW = x^T delta, gb = column sums of delta (double sums),
//                  and the signal to the input by the layer's pathway:
//                    kernel       dx = delta K^T             (BP K = W, FA K = B)
//                    sign         dx = delta (s sign(W))^T   (s = M or a scale)
//                    direct       dx = e B                   (DFA, B [classes, in])
//                    low rank     dx = (delta P^T) Q^T       (LDFA, P [r, out], Q [in, r])
//                    direct low   dx = (e P^T) Q^T           (dLDFA)
//                  optionally clamped to +-clip (LDFA's backward clip).
//   lossAndError   softmax cross-entropy (or 1/2 squared error) on integer
//                  labels: writes e = dL/dz (batch mean) and returns the mean
//                  loss (double) and the count of correct argmaxes.
//   optimizerStep  SGD (momentum, Nesterov), Adam, AdamW with weight decay
//                  and Batch Manhattan, in the order of lib/rules/optim.ts.
//   ldfaGradients  the gradients of a layered LDFA pathway's Q and P (rules
//                  fixed-p, raf: Oja's subspace rule, local, normative).
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fused_common.h"

namespace {

using namespace ldl_fused;

// denseForward(act, rows, nIn, nOut, x, w, b | null, a)
Napi::Value DenseForward(const Napi::CallbackInfo& info) {
  Reader r(info, "denseForward");
  const int64_t act = r.Int("act"), rows = r.Int("rows"), nIn = r.Int("nIn"), nOut = r.Int("nOut");
  const float* x = r.F32("x", rows * nIn);
  const float* w = r.F32("w", nIn * nOut);
  const float* b = r.F32("b", nOut, true);
  float* a = r.F32("a", rows * nOut);
  if (r.Ok() && act > kSigmoid) r.Error("act", "must be 0 (linear), 1 (relu), 2 (tanh) or 3 (sigmoid)");
  if (!r.Finish()) return info.Env().Undefined();
  if (b) BiasRows(rows, nOut, b, a);
  Mul(false, false, rows, nOut, nIn, x, nIn, w, nOut, b ? 1.0f : 0.0f, a, nOut);
  Activate(static_cast<int>(act), rows * nOut, a);
  return info.Env().Undefined();
}

// denseBackward(act, rows, nIn, nOut, x, h | null, delta, gW, gb | null,
//               mode, dx | null, k1 | null, k2 | null, e | null, rank, classes, scratch | null, scale, clip)
// k1: K (kernel), W (sign), B [classes, nIn] (direct), Q [nIn, rank] (low rank);
// k2: M or null (sign), P [rank, nOut] (low rank) or P [rank, classes] (direct low rank);
// e: the output error [rows, classes] (direct modes); scratch: nIn*nOut (sign) or rows*rank (low rank).
Napi::Value DenseBackward(const Napi::CallbackInfo& info) {
  Reader r(info, "denseBackward");
  const int64_t act = r.Int("act"), rows = r.Int("rows"), nIn = r.Int("nIn"), nOut = r.Int("nOut");
  const float* x = r.F32("x", rows * nIn);
  const float* h = r.F32("h", rows * nOut, true);
  float* delta = r.F32("delta", rows * nOut);
  float* gW = r.F32("gW", nIn * nOut);
  float* gb = r.F32("gb", nOut, true);
  const int64_t mode = r.Int("mode");
  const bool propagates = r.Ok() && mode != kNone;
  float* dx = r.F32("dx", propagates ? rows * nIn : 0, !propagates);
  const auto [k1, k2, e, rank, classes, scratch, scale, clip] = ReadPathway(r);
  if (r.Ok() && act > kSigmoid) r.Error("act", "must be 0 (linear), 1 (relu), 2 (tanh) or 3 (sigmoid)");
  if (r.Ok() && mode > kDirectLowRank) r.Error("mode", "must be an integer in [0, 5]");
  if (r.Ok() && act != kLinear && !h) r.Error("h", "must be given for a nonlinear activation");
  const std::string modeName = std::to_string(mode);
  const bool sign = mode == kSign, direct = mode == kDirect, low = mode == kLowRank, dlow = mode == kDirectLowRank;
  r.Need("k1", 11, k1, mode == kKernel || sign ? nIn * nOut : direct ? classes * nIn : low || dlow ? nIn * rank : 0, modeName);
  r.Need("k2", 12, k2, low ? rank * nOut : dlow ? rank * classes : sign ? -(nIn * nOut) : 0, modeName);
  r.Need("e", 13, e, direct || dlow ? rows * classes : 0, modeName);
  r.Need("scratch", 16, scratch, sign ? nIn * nOut : low || dlow ? rows * rank : 0, modeName);
  if (!r.Finish()) return info.Env().Undefined();

  DerivativeAndColumnSums(static_cast<int>(act), rows, nOut, h, delta, gb);
  Mul(true, false, nIn, nOut, rows, x, nIn, delta, nOut, 0.0f, gW, nOut);
  Propagate(static_cast<int>(mode), rows, nIn, nOut, delta, k1, k2, e, rank, classes, scratch, scale, dx);
  if (mode != kNone && clip > 0) Clamp(static_cast<float>(clip), rows * nIn, dx);
  return info.Env().Undefined();
}

// lossAndError(rows, classes, z, labels, e, mse, out): e = dL/dz / rows; out[0] = mean loss, out[1] = correct argmaxes.
Napi::Value LossAndError(const Napi::CallbackInfo& info) {
  Reader r(info, "lossAndError");
  const int64_t rows = r.Int("rows"), classes = r.Int("classes");
  const float* z = r.F32("z", rows * classes);
  const int32_t* labels = r.I32("labels", rows);
  float* e = r.F32("e", rows * classes);
  const bool mse = r.Flag("mse");
  double* out = r.F64("out", 2);
  if (r.Ok() && (rows == 0 || classes == 0)) r.Error("rows", "and classes must be positive");
  for (int64_t i = 0; r.Ok() && i < rows; i++)
    if (labels[i] < 0 || labels[i] >= classes) r.Error("labels", "must lie in [0, classes): " + std::to_string(labels[i]) + " at " + std::to_string(i));
  if (!r.Finish()) return info.Env().Undefined();
  const float inv = static_cast<float>(1.0 / static_cast<double>(rows));
  double loss = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < rows; i++) {
    const float* zi = z + i * classes;
    float* ei = e + i * classes;
    const int32_t y = labels[i];
    int64_t best = 0;
    for (int64_t j = 1; j < classes; j++)
      if (zi[j] > zi[best]) best = j;
    if (best == y) correct++;
    if (mse) {
      double s = 0;
      for (int64_t j = 0; j < classes; j++) {
        const float d = zi[j] - (j == y ? 1.0f : 0.0f);
        s += static_cast<double>(d) * d;
        ei[j] = d * inv;
      }
      loss += 0.5 * s;
    } else {
      const double m = zi[best];
      double s = 0;
      for (int64_t j = 0; j < classes; j++) s += std::exp(static_cast<double>(zi[j]) - m);
      const double lse = m + std::log(s);
      loss += lse - zi[y];
      for (int64_t j = 0; j < classes; j++) {
        const float p = static_cast<float>(std::exp(static_cast<double>(zi[j]) - lse));
        ei[j] = (p - (j == y ? 1.0f : 0.0f)) * inv;
      }
    }
  }
  out[0] = loss / static_cast<double>(rows);
  out[1] = static_cast<double>(correct);
  return info.Env().Undefined();
}

enum LowRankRule { kFixedP = 0, kRaf = 1, kLocal = 2, kNormative = 3 };

// ldfaGradients(rule, nIn, m, r, rows, G, P, Q, E | null, gQ, gP | null, scratch | null, clip, W | null): the
// gradients of a layered LDFA pathway's Q [nIn, r] and P [r, m] (lib/rules/low-rank.ts), G [nIn, m] the layer's
// weight gradient, W [nIn, m] its weight (normative only):
//   fixed-p, raf, local  gQ = G P^T
//   raf        gP = -(P S - P S P^T P), S = E'^T E' / rows, E' = the rows E [rows, m] centred over the batch
//              and divided by their largest column standard deviation (+1e-8): Oja's subspace rule
//   local      gP = Q^T G
//   normative  D = Q P - W, gQ = D P^T, gP = Q^T D (descent on 1/2 ||Q P - W||^2; G is not read)
// clip > 0 clamps both to +-clip. scratch: raf rows*m + r*rows + r*m + r*r floats; normative nIn*m (D).
Napi::Value LdfaGradients(const Napi::CallbackInfo& info) {
  Reader r(info, "ldfaGradients");
  const int64_t rule = r.Int("rule"), nIn = r.Int("nIn"), m = r.Int("m"), rank = r.Int("r"), rows = r.Int("rows");
  const float* G = r.F32("G", nIn * m);
  const float* P = r.F32("P", rank * m);
  const float* Q = r.F32("Q", nIn * rank);
  const bool raf = r.Ok() && rule == kRaf;
  const bool normative = r.Ok() && rule == kNormative;
  const float* E = r.F32("E", raf ? rows * m : 0, !raf);
  float* gQ = r.F32("gQ", nIn * rank);
  float* gP = r.F32("gP", rule == kFixedP ? 0 : rank * m, rule == kFixedP);
  const int64_t scratchSize = raf ? rows * m + rank * rows + rank * m + rank * rank : normative ? nIn * m : 0;
  float* scratch = r.F32("scratch", scratchSize, !raf && !normative);
  const double clip = r.Real("clip");
  const float* W = r.F32("W", normative ? nIn * m : 0, true);
  if (r.Ok() && rule > kNormative) r.Error("rule", "must be 0 (fixed-p), 1 (raf), 2 (local) or 3 (normative)");
  if (r.Ok() && rule != kFixedP && !gP) r.Error("gP", "must be a Float32Array for raf, local and normative");
  if (r.Ok() && raf && (!E || !scratch || rows == 0)) r.Error("E", "and scratch must be given, with rows > 0, for raf");
  if (r.Ok() && normative && (!W || !scratch)) r.Error("W", "and scratch must be given for normative");
  if (!r.Finish()) return info.Env().Undefined();
  if (normative) {
    float* D = scratch;
    Mul(false, false, nIn, m, rank, Q, rank, P, m, 0.0f, D, m);
    for (int64_t i = 0; i < nIn * m; i++) D[i] -= W[i];
    Mul(false, true, nIn, rank, m, D, m, P, m, 0.0f, gQ, rank);
    Mul(true, false, rank, m, nIn, Q, rank, D, m, 0.0f, gP, m);
  } else {
    Mul(false, true, nIn, rank, m, G, m, P, m, 0.0f, gQ, rank);
  }
  if (rule == kLocal) Mul(true, false, rank, m, nIn, Q, rank, G, m, 0.0f, gP, m);
  if (raf) {
    float* Ec = scratch;
    float* Z = Ec + rows * m;
    float* PS = Z + rank * rows;
    float* T = PS + rank * m;
    // Column means and variances in row order (double sums); the vector keeps its capacity between calls.
    thread_local std::vector<double> sums;
    sums.assign(static_cast<size_t>(m), 0.0);
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < m; j++) sums[j] += E[i * m + j];
    for (int64_t j = 0; j < m; j++) sums[j] /= static_cast<double>(rows);
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < m; j++) Ec[i * m + j] = E[i * m + j] - static_cast<float>(sums[j]);
    sums.assign(static_cast<size_t>(m), 0.0);
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < m; j++) sums[j] += static_cast<double>(Ec[i * m + j]) * Ec[i * m + j];
    double largest = 0;
    for (int64_t j = 0; j < m; j++) largest = std::max(largest, std::sqrt(sums[j] / static_cast<double>(rows)));
    const float inv = static_cast<float>(1.0 / (largest + 1e-8));
    // P S = ((P Ec^T) Ec) inv^2 / rows: two thin products (2 r m rows each) instead of forming S (m^2 rows).
    Mul(false, true, rank, rows, m, P, m, Ec, m, 0.0f, Z, rows);
    Mul(false, false, rank, m, rows, Z, rows, Ec, m, 0.0f, PS, m, static_cast<float>(static_cast<double>(inv) * inv / static_cast<double>(rows)));
    Mul(false, true, rank, rank, m, PS, m, P, m, 0.0f, T, rank);
    for (int64_t i = 0; i < rank * m; i++) gP[i] = -PS[i];
    Mul(false, false, rank, m, rank, T, rank, P, m, 1.0f, gP, m);
  }
  if (clip > 0) {
    Clamp(static_cast<float>(clip), nIn * rank, gQ);
    if (gP) Clamp(static_cast<float>(clip), rank * m, gP);
  }
  return info.Env().Undefined();
}

enum Opt { kSgd = 0, kAdam = 1, kAdamW = 2 };

// optimizerStep(type, len, p, g, m | null, v | null, lr, momentum, nesterov, beta1, beta2, epsilon, weightDecay, manhattan, t)
// t: the 1-based step count of p's slot (SGD's first momentum step sets buf = g; Adam's bias corrections).
Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
  Reader r(info, "optimizerStep");
  const int64_t type = r.Int("type"), len = r.Int("len");
  float* p = r.F32("p", len);
  const float* g = r.F32("g", len);
  float* m = r.F32("m", len, true);
  float* v = r.F32("v", len, true);
  const double lr = r.Real("lr"), momentum = r.Real("momentum");
  const bool nesterov = r.Flag("nesterov");
  const double beta1 = r.Real("beta1"), beta2 = r.Real("beta2"), eps = r.Real("epsilon"), wd = r.Real("weightDecay");
  const bool manhattan = r.Flag("manhattan");
  const int64_t t = r.Int("t");
  if (r.Ok() && type > kAdamW) r.Error("type", "must be 0 (sgd), 1 (adam) or 2 (adamw)");
  if (r.Ok() && t < 1) r.Error("t", "must be at least 1");
  if (r.Ok() && type == kSgd && momentum > 0 && !m) r.Error("m", "must be a Float32Array for SGD with momentum");
  if (r.Ok() && type != kSgd && (!m || !v)) r.Error("m", "and v must be Float32Arrays for Adam");
  if (!r.Finish()) return info.Env().Undefined();
  // Scalars as tfjs makes them: JavaScript doubles rounded to float32 where they meet a tensor.
  const float lrF = static_cast<float>(lr), wdF = static_cast<float>(wd);
  const bool l2 = wd > 0 && type != kAdamW;
  // Element by element, so two threads (TwoWay, fused_common.h) give the same bits as one.
  const bool big = len >= kSplitElements;
  if (type == kSgd) {
    const float mu = static_cast<float>(momentum);
    TwoWay(len, big, 16, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        float gi = l2 ? g[i] + p[i] * wdF : g[i];
        if (manhattan) gi = gi > 0.0f ? 1.0f : gi < 0.0f ? -1.0f : gi;  // sign(0) = 0, NaN stays
        if (momentum > 0) {
          const float buf = t == 1 ? gi : m[i] * mu + gi;
          m[i] = buf;
          gi = nesterov ? gi + buf * mu : buf;
        }
        p[i] = p[i] - gi * lrF;
      }
    });
    return info.Env().Undefined();
  }
  const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
  const float a1 = static_cast<float>(1.0 - beta1), a2 = static_cast<float>(1.0 - beta2);
  const float c1 = static_cast<float>(1.0 - std::pow(beta1, static_cast<double>(t)));
  const float c2 = static_cast<float>(1.0 - std::pow(beta2, static_cast<double>(t)));
  const float epsF = static_cast<float>(eps);
  const float decoupled = static_cast<float>(lr * wd);
  TwoWay(len, big, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      float gi = l2 ? g[i] + p[i] * wdF : g[i];
      if (manhattan) gi = gi > 0.0f ? 1.0f : gi < 0.0f ? -1.0f : gi;
      const float mi = m[i] * b1 + gi * a1;
      const float vi = v[i] * b2 + gi * gi * a2;
      m[i] = mi;
      v[i] = vi;
      const float mHat = mi / c1;
      const float vHat = vi / c2;
      float next = p[i] - mHat / (std::sqrt(vHat) + epsF) * lrF;
      if (type == kAdamW && wd > 0) next = next - p[i] * decoupled;
      p[i] = next;
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void RegisterFusedDense(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Value (*)(const Napi::CallbackInfo&)> kernels[] = {
      {"denseForward", DenseForward}, {"denseBackward", DenseBackward}, {"lossAndError", LossAndError},
      {"optimizerStep", OptimizerStep}, {"ldfaGradients", LdfaGradients}};
  for (const auto& k : kernels) exports.Set(k.first, Napi::Function::New(env, k.second));
}
