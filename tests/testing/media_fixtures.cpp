#include "tests/testing/media_fixtures.h"

#include <cstdlib>

namespace lm::testing {

bool RunFfmpeg(const std::string& args) {
  const std::string cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args;
  return std::system(cmd.c_str()) == 0;
}

bool MakeClip(const std::filesystem::path& path, const ClipSpec& s) {
  std::string args;
  const std::string dur = std::to_string(s.seconds);
  if (s.video) {
    args += "-f lavfi -i testsrc2=size=" + std::to_string(s.width) + "x" + std::to_string(s.height) +
            ":rate=" + s.fps + ":duration=" + dur + " ";
  }
  if (s.audio) args += "-f lavfi -i sine=frequency=440:sample_rate=44100:duration=" + dur + " ";
  if (s.video) args += s.video_codec + " ";
  if (s.audio) args += s.audio_codec + " ";
  args += s.extra + " '" + path.string() + "'";
  return RunFfmpeg(args);
}

}  // namespace lm::testing

extern "C" {
#include <libavutil/display.h>
}

#include "common/av_handles.h"

namespace lm::testing {

bool RemuxWithRotation(const std::filesystem::path& in, const std::filesystem::path& out, int degrees) {
  AVFormatContext* raw_in = nullptr;
  if (avformat_open_input(&raw_in, in.c_str(), nullptr, nullptr) < 0) return false;
  av::InputPtr input(raw_in);
  if (avformat_find_stream_info(input.get(), nullptr) < 0) return false;
  AVFormatContext* raw_out = nullptr;
  if (avformat_alloc_output_context2(&raw_out, nullptr, "mp4", out.c_str()) < 0) return false;
  av::OutputPtr output(raw_out);
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    AVStream* st = avformat_new_stream(output.get(), nullptr);
    avcodec_parameters_copy(st->codecpar, input->streams[i]->codecpar);
    st->codecpar->codec_tag = 0;
    st->time_base = input->streams[i]->time_base;
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      auto* matrix = reinterpret_cast<int32_t*>(av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
      // Stored as phones store it: ffprobe shows "rotation of -90.00 degrees" for a portrait clip.
      av_display_rotation_set(matrix, degrees);
    }
  }
  if (avio_open(&output->pb, out.c_str(), AVIO_FLAG_WRITE) < 0) return false;
  bool ok = avformat_write_header(output.get(), nullptr) >= 0;
  av::PacketPtr pkt = av::NewPacket();
  while (ok && av_read_frame(input.get(), pkt.get()) >= 0) {
    av_packet_rescale_ts(pkt.get(), input->streams[pkt->stream_index]->time_base,
                         output->streams[pkt->stream_index]->time_base);
    ok = av_interleaved_write_frame(output.get(), pkt.get()) >= 0;
  }
  ok = ok && av_write_trailer(output.get()) >= 0;
  avio_closep(&output->pb);
  return ok;
}

}  // namespace lm::testing
