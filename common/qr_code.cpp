#include "common/qr_code.h"

#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace lm {

namespace {

struct QrCodeFree {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};
using QrCodePtr = std::unique_ptr<QRcode, QrCodeFree>;

}  // namespace

Result<QrMatrix> EncodeQr(std::string_view text) {
  if (text.empty()) return InvalidArgument("a QR code needs some text");
  const std::string owned(text);  // NUL-terminated for libqrencode
  QrCodePtr code(QRcode_encodeData(static_cast<int>(owned.size()), reinterpret_cast<const unsigned char*>(owned.data()),
                                   /*version=*/0, QR_ECLEVEL_M));
  if (!code) {
    if (errno == ERANGE || errno == EINVAL) {
      return InvalidArgument("text of " + std::to_string(text.size()) + " bytes does not fit in a QR code");
    }
    return Internal("QRcode_encodeData failed (errno " + std::to_string(errno) + ")");
  }
  QrMatrix m;
  m.width = code->width;
  m.dark.resize(static_cast<size_t>(m.width) * m.width);
  for (size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (code->data[i] & 1) != 0;
  return m;
}

Result<std::string> QrSvg(std::string_view text, const QrSvgOptions& options) {
  ASSIGN_OR_RETURN(const QrMatrix m, EncodeQr(text));
  const int q = options.quiet_modules;
  const int side = m.width + 2 * q;
  const int px = side * options.module_px;
  std::string path;
  path.reserve(static_cast<size_t>(m.width) * m.width * 4);
  for (int y = 0; y < m.width; ++y) {
    for (int x = 0; x < m.width;) {
      if (!m.At(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.width && m.At(x + run, y)) ++run;
      path += "M" + std::to_string(x + q) + " " + std::to_string(y + q) + "h" + std::to_string(run) + "v1h-" +
              std::to_string(run) + "z";
      x += run;
    }
  }
  const std::string s = std::to_string(side), p = std::to_string(px);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + p + "\" height=\"" + p + "\" viewBox=\"0 0 " + s + " " +
         s + "\" shape-rendering=\"crispEdges\">"
         "<rect width=\"" + s + "\" height=\"" + s + "\" fill=\"#fff\"/>"
         "<path fill=\"#000\" d=\"" + path + "\"/></svg>\n";
}

}  // namespace lm
