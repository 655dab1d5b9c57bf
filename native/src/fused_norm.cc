// Batch normalisation on the fused training path (lib/rules/fused.ts; the layer is lib/rules/batch-norm.ts), a
// training batch only: x is [m, C] with the channel last (a dense layer's [N, F] output, or a conv layer's NHWC
// output with m = N H W). Per channel c, with f the activation after the layer (or none):
//
//   forward   mu = mean(x), v = mean((x - mu)^2) (biased), s = sqrt(v + eps), xh = (x - mu) / s,
//             y = f(gamma xh + beta)                                                    batchNormForward
//   backward  delta = dy f'(y), dgamma = sum(delta xh), dbeta = sum(delta),
//             dx = (gamma / s) (delta - dbeta / m - xh dgamma / m)                      batchNormBackward
//
// Sums and means accumulate in double (m is up to N H W = 50,000 values per channel here); mu, v, 1/s, xh and the
// outputs are rounded to float32. The running statistics' update (C values) stays in JavaScript.
#include "fused_common.h"

namespace {

using ldl_fused::Reader;

// batchNormForward(act, m, C, x, gamma, beta, epsilon, mean, variance, inv, xh, y): mean, variance, inv [C] and
// xh, y [m, C] written.
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  Reader r(info, "batchNormForward");
  const int act = static_cast<int>(r.Int("act"));
  const int64_t m = r.Int("m"), C = r.Int("C");
  const float* x = r.F32("x", m * C);
  const float* gamma = r.F32("gamma", C);
  const float* beta = r.F32("beta", C);
  const double eps = r.Real("epsilon");
  float* mean = r.F32("mean", C);
  float* variance = r.F32("variance", C);
  float* inv = r.F32("inv", C);
  float* xh = r.F32("xh", m * C);
  float* y = r.F32("y", m * C);
  if (r.Ok() && act > ldl_fused::kSigmoid) r.Error("act", "must be 0-3 (linear, relu, tanh, sigmoid): " + std::to_string(act));
  if (r.Ok() && m < 1) r.Error("m", "must be at least 1");
  if (r.Ok() && !(eps > 0)) r.Error("epsilon", "must be positive");
  if (!r.Finish()) return info.Env().Undefined();
  thread_local std::vector<double> sums;
  sums.assign(static_cast<size_t>(2 * C), 0.0);
  double* s = sums.data();
  double* ss = s + C;
  for (int64_t i = 0; i < m; i++)
    for (int64_t c = 0; c < C; c++) s[c] += x[i * C + c];
  for (int64_t c = 0; c < C; c++) s[c] /= static_cast<double>(m);
  for (int64_t i = 0; i < m; i++)
    for (int64_t c = 0; c < C; c++) {
      const double d = x[i * C + c] - s[c];
      ss[c] += d * d;
    }
  for (int64_t c = 0; c < C; c++) {
    const double v = ss[c] / static_cast<double>(m);
    mean[c] = static_cast<float>(s[c]);
    variance[c] = static_cast<float>(v);
    inv[c] = static_cast<float>(1.0 / std::sqrt(v + eps));
  }
  for (int64_t i = 0; i < m; i++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t j = i * C + c;
      const float h = (x[j] - mean[c]) * inv[c];
      xh[j] = h;
      y[j] = gamma[c] * h + beta[c];
    }
  ldl_fused::Activate(act, m * C, y);
  return info.Env().Undefined();
}

// batchNormBackward(act, m, C, y, dy, xh, inv, gamma, dgamma, dbeta, dx): dy becomes delta = dy f'(y) in place (y
// the forward's output, null for linear); dgamma, dbeta [C] written; dx [m, C] written unless null.
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  Reader r(info, "batchNormBackward");
  const int act = static_cast<int>(r.Int("act"));
  const int64_t m = r.Int("m"), C = r.Int("C");
  const float* y = r.F32("y", m * C, true);
  float* dy = r.F32("dy", m * C);
  const float* xh = r.F32("xh", m * C);
  const float* inv = r.F32("inv", C);
  const float* gamma = r.F32("gamma", C);
  float* dgamma = r.F32("dgamma", C);
  float* dbeta = r.F32("dbeta", C);
  float* dx = r.F32("dx", m * C, true);
  if (r.Ok() && act > ldl_fused::kSigmoid) r.Error("act", "must be 0-3 (linear, relu, tanh, sigmoid): " + std::to_string(act));
  if (r.Ok() && act != ldl_fused::kLinear && !y) r.Error("y", "must be a Float32Array when act is not linear");
  if (r.Ok() && m < 1) r.Error("m", "must be at least 1");
  if (!r.Finish()) return info.Env().Undefined();
  if (act != ldl_fused::kLinear) ldl_fused::TimesDerivative(act, m * C, y, dy);
  thread_local std::vector<double> sums;
  sums.assign(static_cast<size_t>(2 * C), 0.0);
  double* sd = sums.data();
  double* sdx = sd + C;
  for (int64_t i = 0; i < m; i++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t j = i * C + c;
      sd[c] += dy[j];
      sdx[c] += static_cast<double>(dy[j]) * xh[j];
    }
  for (int64_t c = 0; c < C; c++) {
    dgamma[c] = static_cast<float>(sdx[c]);
    dbeta[c] = static_cast<float>(sd[c]);
  }
  if (!dx) return info.Env().Undefined();
  thread_local std::vector<float> coef;
  coef.resize(static_cast<size_t>(3 * C));
  float* scale = coef.data();
  float* meanD = scale + C;
  float* meanDx = meanD + C;
  for (int64_t c = 0; c < C; c++) {
    scale[c] = gamma[c] * inv[c];
    meanD[c] = static_cast<float>(sd[c] / static_cast<double>(m));
    meanDx[c] = static_cast<float>(sdx[c] / static_cast<double>(m));
  }
  for (int64_t i = 0; i < m; i++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t j = i * C + c;
      dx[j] = (dy[j] - meanD[c] - xh[j] * meanDx[c]) * scale[c];
    }
  return info.Env().Undefined();
}

}  // namespace

void RegisterFusedNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNormForward", Napi::Function::New(env, BatchNormForward));
  exports.Set("batchNormBackward", Napi::Function::New(env, BatchNormBackward));
}
