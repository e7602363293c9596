// Rewind's native CPU kernels: plain N-API functions that read tfjs' Float32Array buffers in place
// and hand the arithmetic to OpenBLAS (sgemm) and oneDNN (convolutions). Only the glue lives here:
// argument unpacking, a primitive cache, and memory-bound loops (pooling, elementwise, reductions,
// batch norm, masked SGD).
#include <node_api.h>
#include <cblas.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

// ---- N-API argument helpers: a wrong call is a programming error in the TS layer, so it throws.

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  bool ok = true;

  Args(napi_env e, napi_callback_info info, size_t n) : env(e), v(n) {
    size_t argc = n;
    napi_get_cb_info(env, info, &argc, v.data(), nullptr, nullptr);
    if (argc < n) fail("too few arguments");
  }
  void fail(const char* msg) {
    if (ok) napi_throw_type_error(env, nullptr, msg);
    ok = false;
  }
  float* f32(size_t i, bool nullable = false) {
    napi_valuetype t;
    napi_typeof(env, v[i], &t);
    if (nullable && (t == napi_null || t == napi_undefined)) return nullptr;
    bool isTyped = false;
    napi_is_typedarray(env, v[i], &isTyped);
    if (!isTyped) { fail("expected a Float32Array"); return nullptr; }
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_get_typedarray_info(env, v[i], &type, &length, &data, nullptr, nullptr);
    if (type != napi_float32_array) { fail("expected a Float32Array"); return nullptr; }
    return static_cast<float*>(data);
  }
  int i32(size_t i) {
    int32_t out = 0;
    if (napi_get_value_int32(env, v[i], &out) != napi_ok) fail("expected an integer");
    return out;
  }
  float num(size_t i) {
    double out = 0;
    if (napi_get_value_double(env, v[i], &out) != napi_ok) fail("expected a number");
    return static_cast<float>(out);
  }
  bool flag(size_t i) {
    bool out = false;
    if (napi_get_value_bool(env, v[i], &out) != napi_ok) fail("expected a boolean");
    return out;
  }
};

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// ---- Threads. Results must not depend on the thread count (a resumed run on another machine, or with
// another REWIND_THREADS, continues the same numerics), so no library is ever asked to split a reduction:
// work is cut into tiles whose number depends only on the shapes, each tile runs single-threaded
// (OpenBLAS is pinned to one thread, oneDNN primitives are created for one), and OpenMP spreads the tiles.

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int n = a.i32(0);
  if (!a.ok) return nullptr;
  openblas_set_num_threads(1);
  omp_set_num_threads(std::max(1, n));
  return undefinedValue(env);
}

// Makes the calling thread see one OpenMP thread while it lives: oneDNN sizes its work split, and so
// its summation order, by omp_get_max_threads() when a primitive is created and run.
class SingleThreaded {
 public:
  SingleThreaded() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreaded() { omp_set_num_threads(saved_); }
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;

 private:
  int saved_;
};

// ---- GEMM: C = op(A) · op(B), row-major, cut into fixed 128×128 tiles of C. Each tile is one
// single-threaded sgemm over the whole k, so every output sums its k terms in the same order at any
// thread count.

constexpr int kGemmTile = 128;

struct Gemm {
  const float* a;
  const float* b;
  float* c;
  int m, n, k;
  bool transA, transB;
  float beta;  // 1 when c already holds a bias to accumulate onto

  void tile(int r0, int r1, int c0, int c1) const {
    const float* aTile = transA ? a + r0 : a + static_cast<size_t>(r0) * k;
    const float* bTile = transB ? b + static_cast<size_t>(c0) * k : b + c0;
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, r1 - r0,
                c1 - c0, k, 1.0f, aTile, transA ? m : k, bTile, transB ? k : n, beta,
                c + static_cast<size_t>(r0) * n + c0, n);
  }
};

// Runs every tile of every gemm in `batch` (all of one shape), spread over the OpenMP threads.
void runGemms(const std::vector<Gemm>& batch) {
  if (batch.empty()) return;
  const Gemm& first = batch[0];
  const int rowTiles = (first.m + kGemmTile - 1) / kGemmTile, colTiles = (first.n + kGemmTile - 1) / kGemmTile;
  const long long perGemm = static_cast<long long>(rowTiles) * colTiles;
  const long long tiles = perGemm * static_cast<long long>(batch.size());
  const double flops = 2.0 * first.m * first.n * first.k * static_cast<double>(batch.size());
#pragma omp parallel for schedule(dynamic) if (tiles > 1 && flops > (1 << 20))
  for (long long t = 0; t < tiles; ++t) {
    const Gemm& g = batch[static_cast<size_t>(t / perGemm)];
    const int row = static_cast<int>((t % perGemm) / colTiles), col = static_cast<int>(t % colTiles);
    g.tile(row * kGemmTile, std::min(g.m, (row + 1) * kGemmTile), col * kGemmTile,
           std::min(g.n, (col + 1) * kGemmTile));
  }
}

// matmul(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride): out[i] = op(A[i]) · op(B[i]),
// batch strides 0 when one side broadcasts.
napi_value Matmul(napi_env env, napi_callback_info info) {
  Args a(env, info, 11);
  const float* A = a.f32(0);
  const float* B = a.f32(1);
  float* C = a.f32(2);
  int batch = a.i32(3), m = a.i32(4), n = a.i32(5), k = a.i32(6);
  bool tA = a.flag(7), tB = a.flag(8);
  int strideA = a.i32(9), strideB = a.i32(10);
  if (!a.ok) return nullptr;
  std::vector<Gemm> gemms;
  gemms.reserve(batch);
  for (int i = 0; i < batch; ++i) {
    gemms.push_back({A + static_cast<size_t>(i) * strideA, B + static_cast<size_t>(i) * strideB,
                     C + static_cast<size_t>(i) * m * n, m, n, k, tA, tB, 0.0f});
  }
  runGemms(gemms);
  return undefinedValue(env);
}

// Dense layer in one call: out = relu?(op(A) · op(B) + bias). The bias rows are laid down first
// and sgemm accumulates onto them (beta = 1), so the add costs no extra pass.
// denseForward(a, b, bias|null, out, m, n, k, transA, transB, relu)
napi_value DenseForward(napi_env env, napi_callback_info info) {
  Args a(env, info, 10);
  const float* A = a.f32(0);
  const float* B = a.f32(1);
  const float* bias = a.f32(2, true);
  float* C = a.f32(3);
  int m = a.i32(4), n = a.i32(5), k = a.i32(6);
  bool tA = a.flag(7), tB = a.flag(8), relu = a.flag(9);
  if (!a.ok) return nullptr;
  if (bias) {
    for (int r = 0; r < m; ++r) std::memcpy(C + static_cast<size_t>(r) * n, bias, sizeof(float) * n);
  }
  runGemms({{A, B, C, m, n, k, tA, tB, bias ? 1.0f : 0.0f}});
  if (relu) {
    const size_t size = static_cast<size_t>(m) * n;
    for (size_t i = 0; i < size; ++i) C[i] = C[i] > 0.0f ? C[i] : 0.0f;
  }
  return undefinedValue(env);
}

// ---- Convolutions through oneDNN. Tensors stay in tfjs' layouts (NHWC activations, HWIO filters);
// oneDNN picks its own blocked filter layout and we reorder the (small) filter at the boundary.

struct ConvShape {
  int n, h, w, c, kh, kw, oc, oh, ow, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw;
  bool relu;  // fused activation (forward only)
  bool bias;  // fused bias (forward only)
  // Field by field: a memcmp would read the struct's padding, which copies need not preserve, and the
  // plan cache's ordering would then be inconsistent (a lookup could return another shape's plan).
  auto fields() const {
    return std::tie(n, h, w, c, kh, kw, oc, oh, ow, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw, relu, bias);
  }
  bool operator<(const ConvShape& o) const { return fields() < o.fields(); }
};

ConvShape readConvShape(Args& a, size_t first) {
  ConvShape s{};
  int* fields[] = {&s.n, &s.h, &s.w, &s.c, &s.kh, &s.kw, &s.oc, &s.oh, &s.ow,
                   &s.sh, &s.sw, &s.padTop, &s.padLeft, &s.padBottom, &s.padRight, &s.dh, &s.dw};
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); ++i) *fields[i] = a.i32(first + i);
  return s;
}

struct Dnnl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
};

Dnnl& dnnlContext() {
  static Dnnl ctx;
  return ctx;
}

// One stream per thread: chunks of a batch run concurrently.
dnnl::stream& threadStream() {
  thread_local dnnl::stream stream{dnnlContext().engine};
  return stream;
}

struct ConvDescs {
  memory::desc src, weightsPlain, dst, weightsAny, biasDesc;
  memory::dims strides, dilates, padL, padR;
  explicit ConvDescs(const ConvShape& s)
      : src({s.n, s.c, s.h, s.w}, kF32, Tag::nhwc),
        weightsPlain({s.oc, s.c, s.kh, s.kw}, kF32, Tag::hwio),
        dst({s.n, s.oc, s.oh, s.ow}, kF32, Tag::nhwc),
        weightsAny({s.oc, s.c, s.kh, s.kw}, kF32, Tag::any),
        biasDesc({s.oc}, kF32, Tag::x),
        strides{s.sh, s.sw},
        dilates{s.dh - 1, s.dw - 1},
        padL{s.padTop, s.padLeft},
        padR{s.padBottom, s.padRight} {}
};

// Scratch memory is ours (one buffer per thread), so one primitive can run on several chunks at once.
dnnl::primitive_attr userScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::convolution_forward::primitive_desc forwardDesc(const ConvShape& s) {
  ConvDescs d(s);
  auto desc = s.bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                                       dnnl::algorithm::convolution_direct, d.src, d.weightsAny,
                                                       d.biasDesc, d.dst, d.strides, d.dilates, d.padL, d.padR)
                     : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                                       dnnl::algorithm::convolution_direct, d.src, d.weightsAny,
                                                       d.dst, d.strides, d.dilates, d.padL, d.padR);
  dnnl::primitive_attr attr = userScratchpad();
  if (s.relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  return {desc, attr, dnnlContext().engine};
}

// A prepared single-threaded primitive plus, when oneDNN wants a blocked filter, the reorder to or from it.
struct ConvPlan {
  dnnl::primitive primitive;
  memory::desc weightsDesc;
  memory::desc scratchpadDesc;
  bool weightsNeedReorder = false;
  dnnl::reorder weightsReorder;
  std::unique_ptr<memory> blockedWeights;  // forward and backward-data: the filter in oneDNN's layout
};

enum class ConvKind { Forward, BackwardData, BackwardWeights };

ConvPlan makePlan(const ConvShape& s, ConvKind kind) {
  SingleThreaded oneThread;
  auto& ctx = dnnlContext();
  ConvDescs d(s);
  ConvPlan plan;
  auto fwd = forwardDesc(s);
  if (kind == ConvKind::Forward) {
    plan.primitive = dnnl::convolution_forward(fwd);
    plan.weightsDesc = fwd.weights_desc();
    plan.scratchpadDesc = fwd.scratchpad_desc();
  } else if (kind == ConvKind::BackwardData) {
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, d.dst,
                                               d.strides, d.dilates, d.padL, d.padR);
    dnnl::convolution_backward_data::primitive_desc pd(desc, userScratchpad(), ctx.engine, fwd);
    plan.primitive = dnnl::convolution_backward_data(pd);
    plan.weightsDesc = pd.weights_desc();
    plan.scratchpadDesc = pd.scratchpad_desc();
  } else {
    dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weightsAny, d.dst,
                                                  d.strides, d.dilates, d.padL, d.padR);
    dnnl::convolution_backward_weights::primitive_desc pd(desc, userScratchpad(), ctx.engine, fwd);
    plan.primitive = dnnl::convolution_backward_weights(pd);
    plan.weightsDesc = pd.diff_weights_desc();
    plan.scratchpadDesc = pd.scratchpad_desc();
  }
  plan.weightsNeedReorder = plan.weightsDesc != d.weightsPlain;
  if (plan.weightsNeedReorder) {
    memory blocked(plan.weightsDesc, ctx.engine, nullptr);
    memory plain(d.weightsPlain, ctx.engine, nullptr);
    plan.weightsReorder = kind == ConvKind::BackwardWeights ? dnnl::reorder(blocked, plain) : dnnl::reorder(plain, blocked);
    if (kind != ConvKind::BackwardWeights) plan.blockedWeights = std::make_unique<memory>(plan.weightsDesc, ctx.engine);
  }
  return plan;
}

ConvPlan& planFor(const ConvShape& s, ConvKind kind) {
  // Primitive creation costs milliseconds; a training run reuses a handful of shapes.
  static std::map<std::pair<ConvShape, int>, ConvPlan> cache;
  auto key = std::make_pair(s, static_cast<int>(kind));
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, makePlan(s, kind)).first;
  return it->second;
}

// A per-thread buffer of at least `bytes`, reused across calls.
void* threadBuffer(std::vector<char>& buffer, size_t bytes) {
  if (buffer.size() < bytes) buffer.resize(bytes);
  return buffer.data();
}

// A batch runs in chunks of kConvChunk images (the last may be shorter), one single-threaded primitive
// call each: the chunks, not oneDNN, are spread over the threads. The filter gradient sums the chunks'
// gradients in chunk order, so it is bit-identical at any thread count.
constexpr int kConvChunk = 8;

void runConv(const ConvShape& s, ConvKind kind, float* src, float* weights, float* dst, const float* bias) {
  auto& ctx = dnnlContext();
  const int chunks = (s.n + kConvChunk - 1) / kConvChunk;
  ConvShape full = s, last = s;
  full.n = std::min(s.n, kConvChunk);
  last.n = s.n - (chunks - 1) * kConvChunk;
  ConvPlan* plans[2] = {&planFor(full, kind), &planFor(last, kind)};
  memory plainWeights(ConvDescs(s).weightsPlain, ctx.engine, weights);
  if (kind != ConvKind::BackwardWeights) {
    for (ConvPlan* plan : plans) {
      if (plan->weightsNeedReorder) plan->weightsReorder.execute(threadStream(), plainWeights, *plan->blockedWeights);
    }
    threadStream().wait();
  }
  const size_t filterSize = static_cast<size_t>(s.kh) * s.kw * s.c * s.oc;
  std::vector<float> chunkGradients(kind == ConvKind::BackwardWeights ? filterSize * chunks : 0);
  const size_t srcImage = static_cast<size_t>(s.h) * s.w * s.c, dstImage = static_cast<size_t>(s.oh) * s.ow * s.oc;

#pragma omp parallel for schedule(dynamic) if (chunks > 1)
  for (int i = 0; i < chunks; ++i) {
    SingleThreaded oneThread;
    const ConvShape& shape = i == chunks - 1 ? last : full;
    ConvPlan& plan = *plans[i == chunks - 1 ? 1 : 0];
    ConvDescs d(shape);
    auto& stream = threadStream();
    thread_local std::vector<char> scratch, blocked;
    memory scratchMem(plan.scratchpadDesc, ctx.engine, threadBuffer(scratch, plan.scratchpadDesc.get_size()));
    memory srcMem(d.src, ctx.engine, src + i * kConvChunk * srcImage);
    memory dstMem(d.dst, ctx.engine, dst + i * kConvChunk * dstImage);
    if (kind == ConvKind::Forward) {
      memory& w = plan.weightsNeedReorder ? *plan.blockedWeights : plainWeights;
      std::unordered_map<int, memory> args{
          {DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dstMem}, {DNNL_ARG_SCRATCHPAD, scratchMem}};
      if (bias) args.insert({DNNL_ARG_BIAS, memory(d.biasDesc, ctx.engine, const_cast<float*>(bias))});
      plan.primitive.execute(stream, args);
    } else if (kind == ConvKind::BackwardData) {
      memory& w = plan.weightsNeedReorder ? *plan.blockedWeights : plainWeights;
      plan.primitive.execute(stream, {{DNNL_ARG_DIFF_SRC, srcMem},
                                      {DNNL_ARG_WEIGHTS, w},
                                      {DNNL_ARG_DIFF_DST, dstMem},
                                      {DNNL_ARG_SCRATCHPAD, scratchMem}});
    } else {
      memory gradient(d.weightsPlain, ctx.engine, chunkGradients.data() + i * filterSize);
      memory out = plan.weightsNeedReorder
                       ? memory(plan.weightsDesc, ctx.engine, threadBuffer(blocked, plan.weightsDesc.get_size()))
                       : gradient;
      plan.primitive.execute(stream, {{DNNL_ARG_SRC, srcMem},
                                      {DNNL_ARG_DIFF_WEIGHTS, out},
                                      {DNNL_ARG_DIFF_DST, dstMem},
                                      {DNNL_ARG_SCRATCHPAD, scratchMem}});
      if (plan.weightsNeedReorder) plan.weightsReorder.execute(stream, out, gradient);
    }
    stream.wait();
  }

  if (kind == ConvKind::BackwardWeights) {
    const long long size = static_cast<long long>(filterSize);
#pragma omp parallel for if (size * chunks > (1 << 16))
    for (long long j = 0; j < size; ++j) {
      float sum = chunkGradients[j];
      for (int i = 1; i < chunks; ++i) sum += chunkGradients[i * filterSize + j];
      weights[j] = sum;
    }
  }
}

// The filter gradient of a strided 1x1 convolution, as a unit-stride one on the subsampled input. oneDNN
// 2.6's AVX2 1x1 kernel subsamples by itself for strides above 1, and run single-threaded with fewer
// than 8 input channels it then writes through a stale pointer (valgrind shows writes into freed heap;
// the process dies later, in free). A 1x1 filter sees one input pixel per output pixel, so the
// subsampled input (zeros where the padding falls) gives the same gradient.
void stridedPointwiseFilterGradient(const ConvShape& s, const float* src, float* weights, float* dst) {
  ConvShape unit = s;
  unit.h = s.oh;
  unit.w = s.ow;
  unit.sh = unit.sw = 1;
  unit.padTop = unit.padLeft = unit.padBottom = unit.padRight = 0;
  std::vector<float> subsampled(static_cast<size_t>(s.n) * s.oh * s.ow * s.c, 0.0f);
  for (int b = 0; b < s.n; ++b) {
    for (int oy = 0; oy < s.oh; ++oy) {
      const int iy = oy * s.sh - s.padTop;
      if (iy < 0 || iy >= s.h) continue;
      for (int ox = 0; ox < s.ow; ++ox) {
        const int ix = ox * s.sw - s.padLeft;
        if (ix < 0 || ix >= s.w) continue;
        const float* from = src + ((static_cast<size_t>(b) * s.h + iy) * s.w + ix) * s.c;
        std::copy(from, from + s.c, subsampled.data() + ((static_cast<size_t>(b) * s.oh + oy) * s.ow + ox) * s.c);
      }
    }
  }
  runConv(unit, ConvKind::BackwardWeights, subsampled.data(), weights, dst, nullptr);
}

// The 17 shape integers follow the buffers: n h w c kh kw oc oh ow sh sw padT padL padB padR dh dw.
constexpr size_t kShapeArgs = 17;

// Runs one convolution; oneDNN errors become JS exceptions.
napi_value convOrThrow(napi_env env, const ConvShape& s, ConvKind kind, float* src, float* w, float* dst, const float* bias) {
  try {
    if (kind == ConvKind::BackwardWeights && s.kh == 1 && s.kw == 1 && (s.sh > 1 || s.sw > 1)) {
      stridedPointwiseFilterGradient(s, src, w, dst);
    } else {
      runConv(s, kind, src, w, dst, bias);
    }
  } catch (const dnnl::error& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
  return undefinedValue(env);
}

// conv2d(x, filter, bias|null, out, ...shape, relu)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args a(env, info, 4 + kShapeArgs + 1);
  float* x = a.f32(0);
  float* w = a.f32(1);
  const float* bias = a.f32(2, true);
  float* y = a.f32(3);
  ConvShape s = readConvShape(a, 4);
  s.relu = a.flag(4 + kShapeArgs);
  s.bias = bias != nullptr;
  if (!a.ok) return nullptr;
  return convOrThrow(env, s, ConvKind::Forward, x, w, y, bias);
}

// conv2dBackpropInput(dy, filter, dx, ...shape)
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  Args a(env, info, 3 + kShapeArgs);
  float* dy = a.f32(0);
  float* w = a.f32(1);
  float* dx = a.f32(2);
  ConvShape s = readConvShape(a, 3);
  if (!a.ok) return nullptr;
  return convOrThrow(env, s, ConvKind::BackwardData, dx, w, dy, nullptr);
}

// conv2dBackpropFilter(x, dy, dw, ...shape)
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  Args a(env, info, 3 + kShapeArgs);
  float* x = a.f32(0);
  float* dy = a.f32(1);
  float* dw = a.f32(2);
  ConvShape s = readConvShape(a, 3);
  if (!a.ok) return nullptr;
  return convOrThrow(env, s, ConvKind::BackwardWeights, x, dw, dy, nullptr);
}

// ---- Max pooling, NHWC. Ties go to the first window position in row-major order, as in tfjs' cpu
// backend, so gradients land on the same inputs (ties are common right after a ReLU).

struct PoolShape {
  int n, h, w, c, kh, kw, oh, ow, sh, sw, padTop, padLeft;
};

PoolShape readPoolShape(Args& a, size_t first) {
  PoolShape s;
  int* fields[] = {&s.n, &s.h, &s.w, &s.c, &s.kh, &s.kw, &s.oh, &s.ow, &s.sh, &s.sw, &s.padTop, &s.padLeft};
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); ++i) *fields[i] = a.i32(first + i);
  return s;
}
constexpr size_t kPoolArgs = 12;

// maxPool(x, y, ...shape)
napi_value MaxPool(napi_env env, napi_callback_info info) {
  Args a(env, info, 2 + kPoolArgs);
  const float* x = a.f32(0);
  float* y = a.f32(1);
  PoolShape s = readPoolShape(a, 2);
  if (!a.ok) return nullptr;
#pragma omp parallel for
  for (int b = 0; b < s.n; ++b) {
    for (int oy = 0; oy < s.oh; ++oy) {
      for (int ox = 0; ox < s.ow; ++ox) {
        float* out = y + ((static_cast<size_t>(b) * s.oh + oy) * s.ow + ox) * s.c;
        for (int ch = 0; ch < s.c; ++ch) out[ch] = -FLT_MAX;
        for (int ky = 0; ky < s.kh; ++ky) {
          int iy = oy * s.sh - s.padTop + ky;
          if (iy < 0 || iy >= s.h) continue;
          for (int kx = 0; kx < s.kw; ++kx) {
            int ix = ox * s.sw - s.padLeft + kx;
            if (ix < 0 || ix >= s.w) continue;
            const float* in = x + ((static_cast<size_t>(b) * s.h + iy) * s.w + ix) * s.c;
            for (int ch = 0; ch < s.c; ++ch) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
          }
        }
      }
    }
  }
  return undefinedValue(env);
}

// maxPoolGrad(dy, x, dx, ...shape): dx starts zeroed by the caller.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 3 + kPoolArgs);
  const float* dy = a.f32(0);
  const float* x = a.f32(1);
  float* dx = a.f32(2);
  PoolShape s = readPoolShape(a, 3);
  if (!a.ok) return nullptr;
#pragma omp parallel for
  for (int b = 0; b < s.n; ++b) {
    std::vector<float> best(s.c);
    std::vector<size_t> where(s.c);
    for (int oy = 0; oy < s.oh; ++oy) {
      for (int ox = 0; ox < s.ow; ++ox) {
        std::fill(best.begin(), best.end(), -INFINITY);
        std::fill(where.begin(), where.end(), SIZE_MAX);
        for (int ky = 0; ky < s.kh; ++ky) {
          int iy = oy * s.sh - s.padTop + ky;
          if (iy < 0 || iy >= s.h) continue;
          for (int kx = 0; kx < s.kw; ++kx) {
            int ix = ox * s.sw - s.padLeft + kx;
            if (ix < 0 || ix >= s.w) continue;
            size_t base = ((static_cast<size_t>(b) * s.h + iy) * s.w + ix) * s.c;
            for (int ch = 0; ch < s.c; ++ch) {
              if (x[base + ch] > best[ch]) {
                best[ch] = x[base + ch];
                where[ch] = base + ch;
              }
            }
          }
        }
        const float* g = dy + ((static_cast<size_t>(b) * s.oh + oy) * s.ow + ox) * s.c;
        for (int ch = 0; ch < s.c; ++ch) {
          if (where[ch] != SIZE_MAX) dx[where[ch]] += g[ch];
        }
      }
    }
  }
  return undefinedValue(env);
}

// ---- Masked SGD (PyTorch's formulation), one pass over each parameter:
// g = (grad + wd·p)·mask; buf = μ·buf + g; p = (p − lr·buf)·mask.
// maskedSgd(param, grad, buf, mask|null, outParam, outBuf, lr, momentum, weightDecay)
napi_value MaskedSgd(napi_env env, napi_callback_info info) {
  Args a(env, info, 9);
  const float* p = a.f32(0);
  const float* grad = a.f32(1);
  const float* buf = a.f32(2);
  const float* mask = a.f32(3, true);
  float* outP = a.f32(4);
  float* outBuf = a.f32(5);
  float lr = a.num(6), mu = a.num(7), wd = a.num(8);
  if (!a.ok) return nullptr;
  size_t size;
  napi_typedarray_type type;
  napi_get_typedarray_info(env, a.v[0], &type, &size, nullptr, nullptr, nullptr);
  const long long n = static_cast<long long>(size);
#pragma omp parallel for if (n > (1 << 16))
  for (long long i = 0; i < n; ++i) {
    const float m = mask ? mask[i] : 1.0f;
    const float g = (grad[i] + wd * p[i]) * m;
    const float b = mu * buf[i] + g;
    outBuf[i] = b;
    outP[i] = (p[i] - lr * b) * m;
  }
  return undefinedValue(env);
}

// ---- Elementwise ops on activations and the leading-axis sum: a layer's bias add, ReLU and their
// gradients. The cpu backend
// computes both through per-element index arithmetic (and a transpose for the sum), which made them
// cost more than the matmul or convolution they follow.

enum BinaryOp { kAdd = 0, kMul = 1, kSub = 2, kDiv = 3 };

inline float binary(int op, float x, float y) {
  switch (op) {
    case kAdd: return x + y;
    case kMul: return x * y;
    case kSub: return x - y;
    default: return x / y;
  }
}

// binaryBroadcast(op, a, b, out, outer, mid, inner): a is [outer, mid, inner], b is [outer, inner]
// broadcast over the middle block: out[o, m, i] = a[o, m, i] (+ * - /) b[o, i]. Same shape is (1, 1, size),
// a bias is (1, rows, channels), a per-sample-and-channel value over H·W (pooling's gradient) is (n, h·w, c).
napi_value BinaryBroadcast(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  int op = a.i32(0);
  const float* x = a.f32(1);
  const float* b = a.f32(2);
  float* out = a.f32(3);
  int outer = a.i32(4), mid = a.i32(5), inner = a.i32(6);
  if (!a.ok) return nullptr;
  const long long rows = static_cast<long long>(outer) * mid;
  const long long total = rows * inner;
  if (rows == 1) {
    // One long row (same shapes): split it across threads instead of rows.
#pragma omp parallel for if (total > (1 << 16))
    for (long long i = 0; i < total; ++i) out[i] = binary(op, x[i], b[i]);
    return undefinedValue(env);
  }
#pragma omp parallel for if (total > (1 << 16))
  for (long long r = 0; r < rows; ++r) {
    const float* xr = x + r * inner;
    const float* br = b + (r / mid) * inner;
    float* outr = out + r * inner;
    // One loop per op so each vectorises.
    switch (op) {
      case kAdd: for (int c = 0; c < inner; ++c) outr[c] = xr[c] + br[c]; break;
      case kMul: for (int c = 0; c < inner; ++c) outr[c] = xr[c] * br[c]; break;
      case kSub: for (int c = 0; c < inner; ++c) outr[c] = xr[c] - br[c]; break;
      default: for (int c = 0; c < inner; ++c) outr[c] = xr[c] / br[c]; break;
    }
  }
  return undefinedValue(env);
}

enum UnaryOp { kRelu = 0, kStep = 1 };

// unary(op, x, out, alpha): relu keeps NaN (as tfjs does) so a diverging run stays visible;
// step is 1 for x > 0, alpha otherwise, NaN for NaN.
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  int op = a.i32(0);
  const float* x = a.f32(1);
  float* out = a.f32(2);
  float alpha = a.num(3);
  if (!a.ok) return nullptr;
  size_t size;
  napi_typedarray_type type;
  napi_get_typedarray_info(env, a.v[1], &type, &size, nullptr, nullptr, nullptr);
  const long long n = static_cast<long long>(size);
  if (op == kRelu) {
#pragma omp parallel for if (n > (1 << 16))
    for (long long i = 0; i < n; ++i) out[i] = x[i] < 0.0f ? 0.0f : x[i];
  } else {
#pragma omp parallel for if (n > (1 << 16))
    for (long long i = 0; i < n; ++i) out[i] = x[i] > 0.0f ? 1.0f : (x[i] != x[i] ? x[i] : alpha);
  }
  return undefinedValue(env);
}

// reduceMiddle(x, out, outer, mid, inner, divisor): x is [outer, mid, inner] and
// out[o, i] = (sum over m of x[o, m, i]) / divisor, summed in order of m (deterministic): Sum over a
// contiguous run of axes (divisor 1, e.g. a bias gradient) and Mean (e.g. global average pooling).
napi_value ReduceMiddle(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  const float* x = a.f32(0);
  float* out = a.f32(1);
  int outer = a.i32(2), mid = a.i32(3), inner = a.i32(4);
  float divisor = a.num(5);
  if (!a.ok) return nullptr;
  constexpr int kBlock = 256;  // columns per task: each task owns its outputs, so no reduction races
  const int blocks = (inner + kBlock - 1) / kBlock;
  const long long tasks = static_cast<long long>(outer) * blocks;
#pragma omp parallel for if (static_cast<long long>(outer) * mid * inner > (1 << 16))
  for (long long t = 0; t < tasks; ++t) {
    const long long o = t / blocks;
    const int c0 = static_cast<int>(t % blocks) * kBlock, c1 = std::min(inner, c0 + kBlock);
    float* outo = out + o * inner;
    for (int c = c0; c < c1; ++c) outo[c] = 0.0f;
    for (int m = 0; m < mid; ++m) {
      const float* xr = x + (o * mid + m) * inner;
      for (int c = c0; c < c1; ++c) outo[c] += xr[c];
    }
    if (divisor != 1.0f) {
      for (int c = c0; c < c1; ++c) outo[c] /= divisor;
    }
  }
  return undefinedValue(env);
}

// ---- Batch norm over the last (channel) axis of a [rows, channels] view: statistics, normalisation
// and the gradient in one or two passes each, where tfjs composes ~40 generic ops (moments, tile,
// broadcast subtract and divide) that dominated ResNet-20's step. Sums run over fixed 512-row
// blocks in double, combined in block order, so results are bit-identical at any thread count.

constexpr int kRowBlock = 512;

// out[t * channels + c] = sum over blocks of what `block(r0, r1, acc)` accumulates (terms sums per channel).
template <class Block>
void blockedChannelSums(int rows, int channels, int terms, Block block, double* out) {
  const int blocks = (rows + kRowBlock - 1) / kRowBlock;
  const size_t width = static_cast<size_t>(terms) * channels;
  std::vector<double> partial(static_cast<size_t>(blocks) * width, 0.0);
#pragma omp parallel for if (static_cast<long long>(rows) * channels > (1 << 16))
  for (int b = 0; b < blocks; ++b) {
    block(b * kRowBlock, std::min(rows, (b + 1) * kRowBlock), partial.data() + b * width);
  }
  std::fill(out, out + width, 0.0);
  for (int b = 0; b < blocks; ++b) {
    for (size_t i = 0; i < width; ++i) out[i] += partial[b * width + i];
  }
}

// y[r, c] = (x[r, c] - shift[c]) * a[c] + k[c]. Subtracting the mean before scaling (rather than
// folding it into k) avoids cancellation when a channel's mean is large against its spread.
void channelAffine(const float* x, float* y, int rows, int channels, const float* shift, const float* a, const float* k) {
#pragma omp parallel for if (static_cast<long long>(rows) * channels > (1 << 16))
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * channels;
    float* yr = y + static_cast<size_t>(r) * channels;
    for (int c = 0; c < channels; ++c) yr[c] = (xr[c] - shift[c]) * a[c] + k[c];
  }
}

// y = (x − mean)·scale/√(variance + eps) + offset, per channel; scale and offset may be absent.
void normalizeChannels(const float* x, float* y, int rows, int C, const float* mean, const float* variance, const float* scale,
                       const float* offset, float eps) {
  std::vector<float> mul(C), add(C);
  for (int c = 0; c < C; ++c) {
    mul[c] = static_cast<float>((scale ? scale[c] : 1.0) / std::sqrt(static_cast<double>(variance[c]) + eps));
    add[c] = offset ? offset[c] : 0.0f;
  }
  channelAffine(x, y, rows, C, mean, mul.data(), add.data());
}

// batchNormTrain(x, scale|null, offset|null, y, mean, variance, rows, channels, epsilon): batch
// statistics (biased variance) and y = (x - mean) / sqrt(variance + eps) * scale + offset.
napi_value BatchNormTrain(napi_env env, napi_callback_info info) {
  Args a(env, info, 9);
  const float* x = a.f32(0);
  const float* scale = a.f32(1, true);
  const float* offset = a.f32(2, true);
  float* y = a.f32(3);
  float* mean = a.f32(4);
  float* variance = a.f32(5);
  int rows = a.i32(6), channels = a.i32(7);
  float eps = a.num(8);
  if (!a.ok) return nullptr;
  const int C = channels;
  // One pass for both moments, on values shifted by the first row (near the mean, so the
  // E[d²] − E[d]² subtraction in double keeps float precision).
  const float* shift = x;
  std::vector<double> sums(2 * static_cast<size_t>(C));
  blockedChannelSums(rows, C, 2, [&](int r0, int r1, double* acc) {
    for (int r = r0; r < r1; ++r) {
      const float* xr = x + static_cast<size_t>(r) * C;
      for (int c = 0; c < C; ++c) {
        const double d = static_cast<double>(xr[c]) - shift[c];
        acc[c] += d;
        acc[C + c] += d * d;
      }
    }
  }, sums.data());
  std::vector<double> mu(C), var(C);
  for (int c = 0; c < C; ++c) {
    const double d = sums[c] / rows;
    mu[c] = shift[c] + d;
    var[c] = std::max(0.0, sums[C + c] / rows - d * d);
  }
  for (int c = 0; c < C; ++c) {
    mean[c] = static_cast<float>(mu[c]);
    variance[c] = static_cast<float>(var[c]);
  }
  normalizeChannels(x, y, rows, C, mean, variance, scale, offset, eps);
  return undefinedValue(env);
}

// batchNormApply(x, mean, variance, scale|null, offset|null, y, rows, channels, epsilon): inference
// with given statistics.
napi_value BatchNormApply(napi_env env, napi_callback_info info) {
  Args a(env, info, 9);
  const float* x = a.f32(0);
  const float* mean = a.f32(1);
  const float* variance = a.f32(2);
  const float* scale = a.f32(3, true);
  const float* offset = a.f32(4, true);
  float* y = a.f32(5);
  int rows = a.i32(6), channels = a.i32(7);
  float eps = a.num(8);
  if (!a.ok) return nullptr;
  normalizeChannels(x, y, rows, channels, mean, variance, scale, offset, eps);
  return undefinedValue(env);
}

// batchNormGrad(dy, x, mean, variance, scale|null, dx, dScale, dOffset, rows, channels, epsilon): the
// gradient of batchNormTrain's y through the batch statistics too (x̂ = (x - mean)·invstd):
// dOffset = Σdy, dScale = Σdy·x̂, dx = scale·invstd·(dy − dOffset/N − x̂·dScale/N).
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 11);
  const float* dy = a.f32(0);
  const float* x = a.f32(1);
  const float* mean = a.f32(2);
  const float* variance = a.f32(3);
  const float* scale = a.f32(4, true);
  float* dx = a.f32(5);
  float* dScale = a.f32(6);
  float* dOffset = a.f32(7);
  int rows = a.i32(8), channels = a.i32(9);
  float eps = a.num(10);
  if (!a.ok) return nullptr;
  const int C = channels;
  std::vector<double> sums(2 * static_cast<size_t>(C));
  blockedChannelSums(rows, C, 2, [&](int r0, int r1, double* acc) {
    for (int r = r0; r < r1; ++r) {
      const float* dyr = dy + static_cast<size_t>(r) * C;
      const float* xr = x + static_cast<size_t>(r) * C;
      for (int c = 0; c < C; ++c) {
        acc[c] += dyr[c];
        acc[C + c] += static_cast<double>(dyr[c]) * (xr[c] - mean[c]);
      }
    }
  }, sums.data());
  // dx = k1·dy + k2·(x − mean) + k3.
  std::vector<float> k1(C), k2(C), k3(C);
  for (int c = 0; c < C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(variance[c]) + eps);
    const double g = scale ? scale[c] : 1.0;
    dOffset[c] = static_cast<float>(sums[c]);
    dScale[c] = static_cast<float>(sums[C + c] * invstd);
    k1[c] = static_cast<float>(g * invstd);
    const double slope = -g * invstd * invstd * invstd * sums[C + c] / rows;
    k2[c] = static_cast<float>(slope);
    k3[c] = static_cast<float>(-g * invstd * sums[c] / rows);
  }
#pragma omp parallel for if (static_cast<long long>(rows) * C > (1 << 16))
  for (int r = 0; r < rows; ++r) {
    const float* dyr = dy + static_cast<size_t>(r) * C;
    const float* xr = x + static_cast<size_t>(r) * C;
    float* dxr = dx + static_cast<size_t>(r) * C;
    for (int c = 0; c < C; ++c) dxr[c] = k1[c] * dyr[c] + k2[c] * (xr[c] - mean[c]) + k3[c];
  }
  return undefinedValue(env);
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"denseForward", nullptr, DenseForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2dBackpropInput, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2dBackpropFilter, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPool", nullptr, MaxPool, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"binaryBroadcast", nullptr, BinaryBroadcast, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reduceMiddle", nullptr, ReduceMiddle, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormTrain", nullptr, BatchNormTrain, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormApply", nullptr, BatchNormApply, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormGrad", nullptr, BatchNormGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maskedSgd", nullptr, MaskedSgd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
