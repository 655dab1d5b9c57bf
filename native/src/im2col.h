// im2col and its adjoint for NHWC convolutions, shared by the tfjs kernels of
// ldl_native.cc (Conv2D and its gradients) and the fused conv training kernels
// of fused_conv.cc.
//
// The column matrix of images [n0, n1) has one row per (image, oy, ox) and one
// column per filter tap (fy, fx, c), so a convolution is cols [rows, FH*FW*C]
// times the filter [FH*FW*C, OC] (tfjs's [FH, FW, C, OC] layout read as a matrix).
#ifndef LDL_NATIVE_IM2COL_H_
#define LDL_NATIVE_IM2COL_H_

#include <cstdint>
#include <cstring>

namespace ldl {

// Geometry of an NHWC convolution with an [FH, FW, C, OC] filter, as tfjs's
// computeConv2DInfo describes it.
struct Conv {
  int64_t N, H, W, C, OH, OW, OC, FH, FW, SH, SW, DH, DW, PT, PL;
  int64_t K() const { return FH * FW * C; }          // columns of the im2col matrix
  int64_t P() const { return OH * OW; }              // output pixels per image
  bool Identity() const {                            // 1x1, stride 1, no padding: x is already the column matrix
    return FH == 1 && FW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
  }
};

// Short copies and fills as plain loops: with one input channel a filter row
// is a handful of floats, where a libc call per row costs more than the copy.
inline void CopyFloats(float* dst, const float* src, int64_t count) {
  if (count > 32) {
    std::memcpy(dst, src, sizeof(float) * count);
    return;
  }
  for (int64_t i = 0; i < count; i++) dst[i] = src[i];
}

inline void ZeroFloats(float* dst, int64_t count) {
  if (count > 32) {
    std::memset(dst, 0, sizeof(float) * count);
    return;
  }
  for (int64_t i = 0; i < count; i++) dst[i] = 0.0f;
}

// Valid filter columns [fx0, fx1) for output column ox: those whose input
// column ox*SW - PL + fx*DW lies inside [0, W).
inline void ValidRange(int64_t start, int64_t step, int64_t count, int64_t limit, int64_t* f0, int64_t* f1) {
  int64_t lo = 0, hi = count;
  while (lo < hi && start + lo * step < 0) lo++;
  while (hi > lo && start + (hi - 1) * step >= limit) hi--;
  *f0 = lo;
  *f1 = hi;
}

// Rows [n0, n1) images of the column matrix: row (n, oy, ox), column (fy, fx, c).
// With unit horizontal dilation the valid (fx, c) entries of one filter row
// are contiguous in both x and the column row, so they move as one block.
inline void Im2col(const Conv& g, const float* x, int64_t n0, int64_t n1, float* cols) {
  const int64_t K = g.K(), C = g.C, rowLen = g.FW * C;
  for (int64_t n = n0; n < n1; n++) {
    const float* xn = x + n * g.H * g.W * C;
    for (int64_t oy = 0; oy < g.OH; oy++) {
      for (int64_t ox = 0; ox < g.OW; ox++) {
        float* row = cols + (((n - n0) * g.OH + oy) * g.OW + ox) * K;
        const int64_t ix0 = ox * g.SW - g.PL;
        int64_t fx0, fx1;
        ValidRange(ix0, g.DW, g.FW, g.W, &fx0, &fx1);
        for (int64_t fy = 0; fy < g.FH; fy++) {
          const int64_t iy = oy * g.SH - g.PT + fy * g.DH;
          float* dst = row + fy * rowLen;
          if (iy < 0 || iy >= g.H || fx0 >= fx1) {
            ZeroFloats(dst, rowLen);
            continue;
          }
          if (fx0 > 0) ZeroFloats(dst, fx0 * C);
          if (fx1 < g.FW) ZeroFloats(dst + fx1 * C, (g.FW - fx1) * C);
          const float* src = xn + (iy * g.W + ix0) * C;
          if (g.DW == 1) {
            CopyFloats(dst + fx0 * C, src + fx0 * C, (fx1 - fx0) * C);
          } else {
            for (int64_t fx = fx0; fx < fx1; fx++) CopyFloats(dst + fx * C, src + fx * g.DW * C, C);
          }
        }
      }
    }
  }
}

// Adds the column matrix of images [n0, n1) back into dx (the adjoint of Im2col).
inline void Col2im(const Conv& g, const float* cols, int64_t n0, int64_t n1, float* dx) {
  const int64_t K = g.K(), C = g.C, rowLen = g.FW * C;
  for (int64_t n = n0; n < n1; n++) {
    float* dxn = dx + n * g.H * g.W * C;
    for (int64_t oy = 0; oy < g.OH; oy++) {
      for (int64_t ox = 0; ox < g.OW; ox++) {
        const float* row = cols + (((n - n0) * g.OH + oy) * g.OW + ox) * K;
        const int64_t ix0 = ox * g.SW - g.PL;
        int64_t fx0, fx1;
        ValidRange(ix0, g.DW, g.FW, g.W, &fx0, &fx1);
        if (fx0 >= fx1) continue;
        for (int64_t fy = 0; fy < g.FH; fy++) {
          const int64_t iy = oy * g.SH - g.PT + fy * g.DH;
          if (iy < 0 || iy >= g.H) continue;
          const float* src = row + fy * rowLen;
          float* dst = dxn + (iy * g.W + ix0) * C;
          if (g.DW == 1) {
            for (int64_t j = fx0 * C; j < fx1 * C; j++) dst[j] += src[j];
          } else {
            for (int64_t fx = fx0; fx < fx1; fx++) {
              float* d = dst + fx * g.DW * C;
              const float* s2 = src + fx * C;
              for (int64_t c = 0; c < C; c++) d[c] += s2[c];
            }
          }
        }
      }
    }
  }
}

}  // namespace ldl

#endif  // LDL_NATIVE_IM2COL_H_
