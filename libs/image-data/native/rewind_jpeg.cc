// Rewind's JPEG path: plain N-API functions over libjpeg-turbo's TurboJPEG API. Decoding uses the
// decoder's DCT scaling (1/2, 1/4, 1/8) whenever the scaled crop still covers the output, as PIL's draft
// mode and DALI do, then one bilinear resample (with an optional horizontal flip) straight into the
// caller's uint8 batch buffer. Synchronous by design: the TS side runs it inside worker threads.
#include <node_api.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

thread_local tjhandle decoder = nullptr;
thread_local tjhandle encoder = nullptr;
thread_local std::vector<uint8_t> scratch;

bool bytesOf(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  if (!isTyped) {
    napi_throw_type_error(env, nullptr, "expected a Uint8Array");
    return false;
  }
  napi_typedarray_type type;
  void* raw;
  napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr);
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "expected a Uint8Array");
    return false;
  }
  *data = static_cast<uint8_t*>(raw);
  return true;
}

int32_t intOf(napi_env env, napi_value value) {
  int32_t out = 0;
  napi_get_value_int32(env, value, &out);
  return out;
}

napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

// A corrupt file is the data's fault, not the caller's: it throws an Error whose code the TS side turns
// into a skip or a dataset error, per the spec's setting.
napi_value corrupt(napi_env env, const char* what) {
  napi_throw_error(env, "ERR_CORRUPT_JPEG", what);
  return nullptr;
}

// The same, after TurboJPEG itself failed: its handle is then dropped, because a handle that failed
// mid-stream reads the next file wrongly (a valid JPEG's header came back as "no image").
napi_value decoderFailed(napi_env env) {
  corrupt(env, tjGetErrorStr2(decoder));
  tjDestroy(decoder);
  decoder = nullptr;
  return nullptr;
}

// The most pixels a JPEG may claim: a hostile header (up to 65535 x 65535) must not exhaust memory.
constexpr int64_t kMaxPixels = int64_t(1) << 28;

bool header(napi_env env, const uint8_t* jpeg, size_t length, int* width, int* height) {
  if (!decoder) decoder = tjInitDecompress();
  // TurboJPEG returns success without touching these for a "tables-only" stream, which is what a file
  // truncated before its frame header reads as: they must start at 0, not at whatever the stack held.
  int subsampling = -1, colorspace = -1;
  *width = 0;
  *height = 0;
  if (tjDecompressHeader3(decoder, jpeg, length, width, height, &subsampling, &colorspace) != 0) {
    decoderFailed(env);
    return false;
  }
  if (*width < 1 || *height < 1) {
    corrupt(env, "no image in the JPEG data (truncated before its frame header?)");
    tjDestroy(decoder);
    decoder = nullptr;
    return false;
  }
  if (int64_t(*width) * *height > kMaxPixels) {
    corrupt(env, "the JPEG claims more than 268 million pixels");
    return false;
  }
  return true;
}

// jpegSize(jpeg) -> [width, height]
napi_value JpegSize(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint8_t* jpeg;
  size_t length;
  if (argc < 1 || !bytesOf(env, argv[0], &jpeg, &length)) return nullptr;
  int width, height;
  if (!header(env, jpeg, length, &width, &height)) return nullptr;
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, number(env, width));
  napi_set_element(env, out, 1, number(env, height));
  return out;
}

// The smallest 1/2^n scale (n <= 3) at which the crop still measures at least the output on both axes.
int scaleDenominator(int cropW, int cropH, int outW, int outH, int maxDenominator) {
  int denominator = 1;
  while (denominator < maxDenominator && cropW / (denominator * 2) >= outW && cropH / (denominator * 2) >= outH) denominator *= 2;
  return denominator;
}

bool decodeScaled(napi_env env, const uint8_t* jpeg, size_t length, int denominator, int* width, int* height) {
  int fullW, fullH;
  if (!header(env, jpeg, length, &fullW, &fullH)) return false;
  tjscalingfactor factor{1, denominator};
  *width = TJSCALED(fullW, factor);
  *height = TJSCALED(fullH, factor);
  scratch.resize(static_cast<size_t>(*width) * *height * 3);
  // Without TJFLAG_STOPONWARNING a truncated file decodes as grey at its end; it must count as corrupt.
  if (tjDecompress2(decoder, jpeg, length, scratch.data(), *width, 0, *height, TJPF_RGB, TJFLAG_STOPONWARNING) != 0) {
    decoderFailed(env);
    return false;
  }
  return true;
}

// Bilinear resample of the crop (x, y, w, h in `src` pixels, which may be fractional after DCT scaling)
// onto out (outW x outH x 3), pixel centres aligned as in PIL and torchvision; flipped left-right if asked.
void resample(const uint8_t* src, int srcW, int srcH, double x0, double y0, double cw, double ch, uint8_t* out, int outW, int outH,
              bool flip) {
  const double sx = cw / outW, sy = ch / outH;
  std::vector<int> xa(outW), xb(outW);
  std::vector<float> xf(outW);
  for (int ox = 0; ox < outW; ox++) {
    double fx = x0 + (ox + 0.5) * sx - 0.5;
    fx = std::clamp(fx, 0.0, static_cast<double>(srcW - 1));
    int a = static_cast<int>(fx);
    int target = flip ? outW - 1 - ox : ox;
    xa[target] = a;
    xb[target] = std::min(a + 1, srcW - 1);
    xf[target] = static_cast<float>(fx - a);
  }
  for (int oy = 0; oy < outH; oy++) {
    double fy = std::clamp(y0 + (oy + 0.5) * sy - 0.5, 0.0, static_cast<double>(srcH - 1));
    int ya = static_cast<int>(fy);
    int yb = std::min(ya + 1, srcH - 1);
    float wy = static_cast<float>(fy - ya);
    const uint8_t* rowA = src + static_cast<size_t>(ya) * srcW * 3;
    const uint8_t* rowB = src + static_cast<size_t>(yb) * srcW * 3;
    uint8_t* dst = out + static_cast<size_t>(oy) * outW * 3;
    for (int ox = 0; ox < outW; ox++) {
      const int a = xa[ox] * 3, b = xb[ox] * 3;
      const float wx = xf[ox];
      for (int c = 0; c < 3; c++) {
        float top = rowA[a + c] + (rowA[b + c] - rowA[a + c]) * wx;
        float bottom = rowB[a + c] + (rowB[b + c] - rowB[a + c]) * wx;
        dst[ox * 3 + c] = static_cast<uint8_t>(top + (bottom - top) * wy + 0.5f);
      }
    }
  }
}

// decodeCropResize(jpeg, x, y, w, h, outW, outH, flip, out, outOffset, maxDenominator) -> denominator used.
// The crop is in full-resolution pixels; out receives outW x outH x 3 bytes at outOffset.
napi_value DecodeCropResize(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 11) {
    napi_throw_type_error(env, nullptr, "decodeCropResize takes 11 arguments");
    return nullptr;
  }
  uint8_t *jpeg, *out;
  size_t length, outLength;
  if (!bytesOf(env, argv[0], &jpeg, &length) || !bytesOf(env, argv[8], &out, &outLength)) return nullptr;
  const int x = intOf(env, argv[1]), y = intOf(env, argv[2]), w = intOf(env, argv[3]), h = intOf(env, argv[4]);
  const int outW = intOf(env, argv[5]), outH = intOf(env, argv[6]);
  bool flip = false;
  napi_get_value_bool(env, argv[7], &flip);
  const int64_t offset = intOf(env, argv[9]);
  const int maxDenominator = intOf(env, argv[10]);
  if (outW <= 0 || outH <= 0 || w <= 0 || h <= 0 || offset < 0 || offset + int64_t(outW) * outH * 3 > int64_t(outLength)) {
    napi_throw_range_error(env, nullptr, "decodeCropResize: crop or output out of range");
    return nullptr;
  }
  const int denominator = scaleDenominator(w, h, outW, outH, maxDenominator);
  int srcW, srcH;
  if (!decodeScaled(env, jpeg, length, denominator, &srcW, &srcH)) return nullptr;
  resample(scratch.data(), srcW, srcH, double(x) / denominator, double(y) / denominator, double(w) / denominator, double(h) / denominator,
           out + offset, outW, outH, flip);
  return number(env, denominator);
}

// decode(jpeg, denominator) -> { width, height, rgb: Uint8Array }  (for tests and benchmarks)
napi_value Decode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint8_t* jpeg;
  size_t length;
  if (argc < 2 || !bytesOf(env, argv[0], &jpeg, &length)) return nullptr;
  int width, height;
  if (!decodeScaled(env, jpeg, length, intOf(env, argv[1]), &width, &height)) return nullptr;
  napi_value buffer, rgb, result;
  void* data;
  napi_create_arraybuffer(env, scratch.size(), &data, &buffer);
  std::memcpy(data, scratch.data(), scratch.size());
  napi_create_typedarray(env, napi_uint8_array, scratch.size(), buffer, 0, &rgb);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "width", number(env, width));
  napi_set_named_property(env, result, "height", number(env, height));
  napi_set_named_property(env, result, "rgb", rgb);
  return result;
}

// encode(rgb, width, height, quality) -> Uint8Array (4:2:0, as cameras and ImageNet's files are)
napi_value Encode(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint8_t* rgb;
  size_t length;
  if (argc < 4 || !bytesOf(env, argv[0], &rgb, &length)) return nullptr;
  const int width = intOf(env, argv[1]), height = intOf(env, argv[2]), quality = intOf(env, argv[3]);
  if (width <= 0 || height <= 0 || size_t(width) * height * 3 != length || quality < 1 || quality > 100) {
    napi_throw_range_error(env, nullptr, "encode: rgb must hold width x height x 3 bytes; quality 1-100");
    return nullptr;
  }
  if (!encoder) encoder = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long jpegSize = 0;
  if (tjCompress2(encoder, rgb, width, 0, height, TJPF_RGB, &jpeg, &jpegSize, TJSAMP_420, quality, 0) != 0) {
    napi_throw_error(env, nullptr, tjGetErrorStr2(encoder));
    return nullptr;
  }
  napi_value buffer, out;
  void* data;
  napi_create_arraybuffer(env, jpegSize, &data, &buffer);
  std::memcpy(data, jpeg, jpegSize);
  tjFree(jpeg);
  napi_create_typedarray(env, napi_uint8_array, jpegSize, buffer, 0, &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"jpegSize", nullptr, JpegSize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"decodeCropResize", nullptr, DecodeCropResize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"decode", nullptr, Decode, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"encode", nullptr, Encode, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
