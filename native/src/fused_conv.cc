// Fused training kernels of conv2d and max-pooling layers (lib/rules/fused.ts):
// one call for a layer's forward pass and one for its backward pass, on
// Float32Array buffers the caller reuses from step to step (nothing is
// allocated here), beside the dense kernels of fused_dense.cc with which they
// share the pathway modes, the argument reader and the optimiser update.
//
// Layout NHWC as in lib/rules (tfjs): x [N, H, W, C], the filter W
// [k, k, C, OC] read as a matrix [k*k*C, OC], output [N, OH, OW, OC]. With
// cols = im2col(x) [N*OH*OW, k*k*C] (im2col.h: one row per output position,
// one column per filter tap; zeros in the padding), a = cols W + b and
// h = f(a). The column matrix is built a chunk of images at a time in one
// caller-owned buffer (as many images as it holds; sized near 1 MB so that a
// chunk stays in cache between im2col and its products):
//   convForward    per chunk cols = im2col(x), a = cols W (+ b) by one sgemm
//                  with beta = 1 over the bias rows; then h = f(a) in place.
//   convBackward   delta = dh * f'(h) in place, gb = column sums of delta
//                  over examples and positions (double sums), and per chunk
//                  cols = im2col(x) again, gW += cols^T delta (cheaper than
//                  keeping a large batch's cols: measured on the VGG net; a
//                  small one the caller keeps from the forward pass, `kept`),
//                  then the signal to the input by the layer's pathway:
//                    kernel, sign, low rank: the chunk's signal rows
//                      dcols = delta K^T, delta (s sign(W))^T or (delta P^T) Q^T
//                      (P [r, OC] a 1x1 conv to r channels, Q [k, k, C, r])
//                      into the same buffer, then dx += col2im(dcols), the
//                      adjoint of im2col
//                    direct, direct low rank: dx = e B or (e P^T) Q^T on the
//                      flat input (B [classes, H*W*C]), as for a dense layer
//                  optionally clamped to +-clip (LDFA's backward clip).
//   maxPoolBackward  dx = 0, dx[argmax[i]] += dy[i]: the routing of the
//                  window maxima the add-on's maxPool recorded in the forward
//                  pass (first maximum on ties, as the reference kernel).
// Where im2col is the identity (a 1x1 kernel at stride 1 without padding, or
// a kernel covering the whole unpadded input, e.g. LeNet's last conv: one
// output position) x is its own column matrix: cols may be null, and the
// products read x and write dx directly.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "fused_common.h"
#include "im2col.h"

namespace {

using namespace ldl_fused;

// Geometry arguments shared by both conv kernels, in their order.
struct ConvArgs {
  int64_t act, rows, H, W, C, OH, OW, OC, k, stride, padTop, padLeft;
  ldl::Conv geometry() const { return ldl::Conv{rows, H, W, C, OH, OW, OC, k, k, stride, stride, 1, 1, padTop, padLeft}; }
  int64_t taps() const { return k * k * C; }
  int64_t positions() const { return rows * OH * OW; }
  // x is its own im2col matrix: 1x1 at stride 1 unpadded, or one position covering the whole unpadded input.
  bool identity() const {
    const bool pointwise = k == 1 && stride == 1 && padTop == 0 && padLeft == 0 && OH == H && OW == W;
    const bool whole = OH == 1 && OW == 1 && k == H && k == W && padTop == 0 && padLeft == 0;
    return pointwise || whole;
  }
};

ConvArgs ReadConv(Reader& r) {
  ConvArgs a{};
  a.act = r.Int("act");
  a.rows = r.Int("rows");
  a.H = r.Int("H");
  a.W = r.Int("W");
  a.C = r.Int("C");
  a.OH = r.Int("OH");
  a.OW = r.Int("OW");
  a.OC = r.Int("OC");
  a.k = r.Int("k");
  a.stride = r.Int("stride");
  a.padTop = r.Int("padTop");
  a.padLeft = r.Int("padLeft");
  if (r.Ok() && a.act > kSigmoid) r.Error("act", "must be 0 (linear), 1 (relu), 2 (tanh) or 3 (sigmoid)");
  if (r.Ok() && (a.k < 1 || a.stride < 1)) r.Error("k", "and stride must be positive");
  // Every output position must see at least one input pixel (as tfjs's geometry guarantees); im2col checks the rest.
  if (r.Ok() && (a.OH < 1 || a.OW < 1 || (a.OH - 1) * a.stride - a.padTop >= a.H || (a.OW - 1) * a.stride - a.padLeft >= a.W))
    r.Error("OH", "and OW must be positive and their last window must overlap the input");
  return a;
}

// Images per chunk: as many as the caller's cols buffer holds (at least one). The caller sizes it near 2^18 floats,
// as ldl_native.cc's tfjs kernels do: a chunk's column matrix then stays in cache between im2col and its products,
// which measured faster than one im2col of the whole batch (a 58 MB matrix for the VGG net's second layer).
int64_t ChunkOf(const ConvArgs& g, int64_t colsLength) {
  const int64_t per = std::max<int64_t>(1, g.OH * g.OW * g.taps());
  return std::max<int64_t>(1, std::min<int64_t>(g.rows, colsLength / per));
}

// convForward(act, rows, H, W, C, OH, OW, OC, k, stride, padTop, padLeft, x, w, b | null, cols | null, a)
// cols: scratch of at least OH*OW*k*k*C floats (one image's column matrix) unless im2col is the identity.
Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  Reader r(info, "convForward");
  const ConvArgs g = ReadConv(r);
  const int64_t K = g.taps(), P = g.OH * g.OW, rowsP = g.positions();
  const bool identity = r.Ok() && g.identity();
  const float* x = r.F32("x", g.rows * g.H * g.W * g.C);
  const float* w = r.F32("w", K * g.OC);
  const float* b = r.F32("b", g.OC, true);
  float* cols = r.F32("cols", identity ? 0 : P * K, identity);
  float* a = r.F32("a", rowsP * g.OC);
  if (!r.Finish()) return info.Env().Undefined();
  if (b) BiasRows(rowsP, g.OC, b, a);
  const float beta = b ? 1.0f : 0.0f;
  if (identity) {
    Mul(false, false, rowsP, g.OC, K, x, K, w, g.OC, beta, a, g.OC);
  } else {
    const ldl::Conv geometry = g.geometry();
    const int64_t chunk = ChunkOf(g, static_cast<int64_t>(info[15].As<Napi::TypedArray>().ElementLength()));
    for (int64_t n0 = 0; n0 < g.rows; n0 += chunk) {
      const int64_t n1 = std::min(g.rows, n0 + chunk);
      ldl::Im2col(geometry, x, n0, n1, cols);
      Mul(false, false, (n1 - n0) * P, g.OC, K, cols, K, w, g.OC, beta, a + n0 * P * g.OC, g.OC);
    }
  }
  Activate(static_cast<int>(g.act), rowsP * g.OC, a);
  return info.Env().Undefined();
}

// convBackward(act, rows, H, W, C, OH, OW, OC, k, stride, padTop, padLeft, x, cols | null, kept, h | null, delta, gW, gb | null,
//              mode, dx | null, k1 | null, k2 | null, e | null, rank, classes, scratch | null, scale, clip)
// k1: K [k*k*C, OC] (kernel), W (sign), B [classes, H*W*C] (direct), Q [k*k*C, rank] (low rank), Q [H*W*C, rank]
// (direct low rank); k2: M or null (sign), P [rank, OC] (low rank), P [rank, classes] (direct low rank);
// e: the output error [rows, classes]; scratch: k*k*C*OC (sign), rows*OH*OW*rank (low rank), rows*rank (direct low rank);
// cols: scratch as convForward's (im2col is recomputed chunk by chunk for gW, then the chunk's signal rows
// dcols overwrite it before col2im), null where im2col is the identity; kept: cols holds the whole batch's im2col
// from this step's convForward (given a buffer of rows*OH*OW*k*k*C floats): gW is one product over it, and the signal
// rows then overwrite it whole.
Napi::Value ConvBackward(const Napi::CallbackInfo& info) {
  Reader r(info, "convBackward");
  const ConvArgs g = ReadConv(r);
  const int64_t K = g.taps(), P = g.OH * g.OW, rowsP = g.positions(), inSize = g.H * g.W * g.C;
  const bool identity = r.Ok() && g.identity();
  const float* x = r.F32("x", g.rows * inSize);
  float* cols = r.F32("cols", identity ? 0 : P * K, identity);
  const bool kept = r.Flag("kept");
  if (r.Ok() && kept && !identity && static_cast<int64_t>(info[13].As<Napi::TypedArray>().ElementLength()) < rowsP * K)
    r.Error("cols", "must hold the whole batch's im2col (" + std::to_string(rowsP * K) + " floats) when kept");
  const float* h = r.F32("h", rowsP * g.OC, true);
  float* delta = r.F32("delta", rowsP * g.OC);
  float* gW = r.F32("gW", K * g.OC);
  float* gb = r.F32("gb", g.OC, true);
  const int64_t mode = r.Int("mode");
  if (r.Ok() && mode > kDirectLowRank) r.Error("mode", "must be an integer in [0, 5]");
  const bool propagates = r.Ok() && mode != kNone;
  float* dx = r.F32("dx", propagates ? g.rows * inSize : 0, !propagates);
  const auto [k1, k2, e, rank, classes, scratch, scale, clip] = ReadPathway(r);
  if (r.Ok() && g.act != kLinear && !h) r.Error("h", "must be given for a nonlinear activation");
  const std::string modeName = std::to_string(mode);
  const bool sign = mode == kSign, direct = mode == kDirect, low = mode == kLowRank, dlow = mode == kDirectLowRank;
  r.Need("k1", 21, k1, mode == kKernel || sign ? K * g.OC : direct ? classes * inSize : low ? K * rank : dlow ? inSize * rank : 0, modeName);
  r.Need("k2", 22, k2, low ? rank * g.OC : dlow ? rank * classes : sign ? -(K * g.OC) : 0, modeName);
  r.Need("e", 23, e, direct || dlow ? g.rows * classes : 0, modeName);
  r.Need("scratch", 26, scratch, sign ? K * g.OC : low ? rowsP * rank : dlow ? g.rows * rank : 0, modeName);
  if (!r.Finish()) return info.Env().Undefined();

  DerivativeAndColumnSums(static_cast<int>(g.act), rowsP, g.OC, h, delta, gb);
  const bool viaCols = mode == kKernel || sign || low;
  // The kernel carrying the signal back as a matrix [K, OC]: W or B as given, sign(W) times M or the scale built once.
  const float* back = mode == kKernel ? k1 : sign ? scratch : nullptr;
  if (sign) SignKernel(K * g.OC, k1, k2, scale, scratch);
  if (identity) {
    Mul(true, false, K, g.OC, rowsP, x, K, delta, g.OC, 0.0f, gW, g.OC);
    if (viaCols && back) Mul(false, true, rowsP, K, g.OC, delta, g.OC, back, g.OC, 0.0f, dx, K);
    if (low) Propagate(kLowRank, rowsP, K, g.OC, delta, k1, k2, nullptr, rank, classes, scratch, scale, dx);
  } else {
    const ldl::Conv geometry = g.geometry();
    const int64_t chunk = kept ? g.rows : ChunkOf(g, static_cast<int64_t>(info[13].As<Napi::TypedArray>().ElementLength()));
    if (viaCols) ldl::ZeroFloats(dx, g.rows * inSize);
    for (int64_t n0 = 0; n0 < g.rows; n0 += chunk) {
      const int64_t n1 = std::min(g.rows, n0 + chunk), m = (n1 - n0) * P;
      const float* d = delta + n0 * P * g.OC;
      if (!kept) ldl::Im2col(geometry, x, n0, n1, cols);
      Mul(true, false, K, g.OC, m, cols, K, d, g.OC, n0 == 0 ? 0.0f : 1.0f, gW, g.OC);
      if (!viaCols) continue;
      // The chunk's signal rows overwrite its column matrix, then go back to the input positions.
      if (back) Mul(false, true, m, K, g.OC, d, g.OC, back, g.OC, 0.0f, cols, K);
      else Propagate(kLowRank, m, K, g.OC, d, k1, k2, nullptr, rank, classes, scratch + n0 * P * rank, scale, cols);
      ldl::Col2im(geometry, cols, n0, n1, dx);
    }
  }
  if (direct || dlow) Propagate(static_cast<int>(mode), g.rows, inSize, g.OC, delta, k1, k2, e, rank, classes, scratch, scale, dx);
  if (propagates && clip > 0) Clamp(static_cast<float>(clip), g.rows * inSize, dx);
  return info.Env().Undefined();
}

// maxPoolBackward(rows, inSize, outSize, dy, argmax, dx): dx[:rows*inSize] = 0, then dx[argmax[i]] += dy[i] for
// i < rows*outSize; argmax holds flat indices into x from the add-on's maxPool (-1: a window in the padding).
Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  Reader r(info, "maxPoolBackward");
  const int64_t rows = r.Int("rows"), inSize = r.Int("inSize"), outSize = r.Int("outSize");
  const float* dy = r.F32("dy", rows * outSize);
  const int32_t* argmax = r.I32("argmax", rows * outSize);
  float* dx = r.F32("dx", rows * inSize);
  const int64_t nx = rows * inSize, ny = rows * outSize;
  for (int64_t i = 0; r.Ok() && i < ny; i++)
    if (argmax[i] < -1 || argmax[i] >= nx) r.Error("argmax", "must lie in [-1, rows * inSize): " + std::to_string(argmax[i]) + " at " + std::to_string(i));
  if (!r.Finish()) return info.Env().Undefined();
  ldl::ZeroFloats(dx, nx);
  for (int64_t i = 0; i < ny; i++)
    if (argmax[i] >= 0) dx[argmax[i]] += dy[i];
  return info.Env().Undefined();
}

}  // namespace

void RegisterFusedConv(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Value (*)(const Napi::CallbackInfo&)> kernels[] = {
      {"convForward", ConvForward}, {"convBackward", ConvBackward}, {"maxPoolBackward", MaxPoolBackward}};
  for (const auto& k : kernels) exports.Set(k.first, Napi::Function::New(env, k.second));
}
