#include "transcoder/detail/h264_encoder.h"

#include <cmath>

extern "C" {
#include <libavutil/cpu.h>
#include <libavutil/opt.h>
}

#include "common/av_status.h"

namespace lm::transcoder {

namespace {

// libx264's own settings beyond the codec context's. No scene cuts: keyframes fall only where
// the segments start. On a processor with AVX-512, x264 (0.164) is kept to AVX2 and below: its
// AVX-512 code reads memory it never wrote when a picture's width is not a multiple of 16 (the
// 426- and 854-wide rungs of a 16:9 source), so the bytes followed whatever the heap held, and
// changed from one transcode to the next in the same process (the origin runs many). Below
// AVX-512, x264's assembly gives the same bytes on every x86-64 level it was checked on (SSE4.2,
// AVX2), so a job redone on another worker makes the same bundle. AVX-512's bytes differ from
// AVX2's even at 720p, and it is faster: kept to AVX2, x264 takes 1.09 times the time at 720p on
// an AMD EPYC with AVX-512, 1.02 on an Intel Xeon (bench/RESULTS.md, 2026-12-02).
std::string X264Params() {
  std::string params = "scenecut=0";
#if defined(__x86_64__) || defined(__i386__)
  // Every processor with AVX-512 has all that "AVX2" names in x264 (up to AVX2, FMA3, BMI2). No
  // cache-line flag: x264's own detection sets none on a processor this new, and its "Cache64"
  // would pick SAD variants that an AVX2 processor's x264 does not use (same sums, same bytes).
  if (av_get_cpu_flags() & AV_CPU_FLAG_AVX512) params += ":asm=AVX2";
#endif
  return params;
}

}  // namespace

Result<av::CodecPtr> OpenH264Encoder(const H264Settings& s) {
  const PlannedRung& r = s.rung;
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) return Internal("libavcodec was built without libx264");
  av::CodecPtr enc(avcodec_alloc_context3(codec));
  if (!enc) return Internal("out of memory");
  AVCodecContext* c = enc.get();
  c->width = r.width;
  c->height = r.height;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  c->sample_aspect_ratio = {1, 1};
  c->framerate = {r.fps.num, r.fps.den};
  c->time_base = {r.fps.den, r.fps.num};
  c->bit_rate = static_cast<int64_t>(r.rung.bitrate_kbps) * 1000;
  c->rc_max_rate = c->bit_rate;
  c->rc_buffer_size = static_cast<int>(c->bit_rate * 2);
  const int frames_per_segment = static_cast<int>(std::ceil(s.segment_seconds * r.fps.value()));
  c->gop_size = 2 * frames_per_segment;
  c->keyint_min = frames_per_segment;
  c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  // One x264 thread: the ladder's parallelism is one encoder per rung, on threads of its own.
  // x264's frame threads are not deterministic with VBV: a frame's quantiser is planned from the
  // size estimates of the frames other threads are still encoding (ratecontrol.c,
  // update_vbv_plan), so the bytes depend on thread timing; and the thread count, which libx264
  // picks from the machine's cores when left at 0, changes the lookahead split and the frame
  // delay. Sliced threads would be deterministic at a fixed count but cut every picture into
  // slices (worse pictures at the same rate). With one thread, x264 also runs no lookahead
  // threads.
  c->thread_count = 1;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "preset", s.x264_preset.c_str(), 0);
  av_dict_set(&opts, "profile", s.x264_profile.c_str(), 0);
  av_dict_set(&opts, "forced-idr", "1", 0);
  av_dict_set(&opts, "x264-params", X264Params().c_str(), 0);
  const int ret = avcodec_open2(c, codec, &opts);
  av_dict_free(&opts);
  RETURN_IF_ERROR(av::AvStatus(ret, "avcodec_open2(libx264 " + r.rung.name + ")"));
  return enc;
}

}  // namespace lm::transcoder
