// exp in float32 written out so that GCC can vectorise the loops that call it (libm's expf is a call it cannot
// vectorise): range reduction to [-ln2/2, ln2/2] and a degree-6 polynomial, about 1 ulp. Shared by the element-wise
// kernels (rnn_elementwise.cc, fused_transformer.cc).
#ifndef LDL_NATIVE_VEC_EXP_H_
#define LDL_NATIVE_VEC_EXP_H_

#include <cstdint>
#include <cstring>

namespace ldl_vec {

__attribute__((always_inline)) inline float ExpF(float x) {
  // Clamped so that 2^n stays a normal float; NaN passes through the compares.
  x = x > 88.3f ? 88.3f : x;
  x = x < -87.3f ? -87.3f : x;
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln2)
  // ln2 split in a part exact in float and a correction (Cody-Waite).
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  // Minimax coefficients of the Cephes library's expf.
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

}  // namespace ldl_vec

#endif  // LDL_NATIVE_VEC_EXP_H_
