{
  "targets": [
    {
      "target_name": "ldl_native",
      "sources": ["src/ldl_native.cc", "src/rnn_elementwise.cc", "src/fused_dense.cc", "src/fused_conv.cc", "src/fused_norm.cc", "src/fused_transformer.cc", "src/fused_landscape.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"],
      "cflags": ["-O3"],
      "libraries": ["<!@(node -p \"process.env.LDL_BLAS_LIBS || '-lopenblas'\")"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"]
      }
    }
  ]
}
