#pragma once
// The layout of a USB export, shared by `lessonmesh-edge export` and `import`, and the names it
// gives folders: readable (the pack's and the lessons' titles) and safe on FAT32 and exFAT, the
// file systems of the drives a county IT teacher carries between schools. Pure functions.
//
//   DIR/<pack title>/index.json              readable folder -> lesson id (written last)
//   DIR/<pack title>/pack.manifest.json      the signed manifest, the bytes as received
//   DIR/<pack title>/pack.signature          its signature (base64), as received
//   DIR/<pack title>/torrents/<id>.torrent   every lesson's torrent
//   DIR/<pack title>/<lesson title>/...      the bundle files this school keeps, of ready lessons

#include <set>
#include <string>
#include <string_view>

namespace lm::edge {

inline constexpr char kUsbIndexFile[] = "index.json";
inline constexpr char kUsbManifestFile[] = "pack.manifest.json";
inline constexpr char kUsbSignatureFile[] = "pack.signature";
inline constexpr char kUsbTorrentsDir[] = "torrents";
inline constexpr char kUsbFormat[] = "lessonmesh-usb-export";
inline constexpr int kUsbFormatVersion = 1;

// The longest folder name written, in bytes of UTF-8 (FAT allows 255 UTF-16 units; shorter names
// keep pack/lesson/file paths within Windows' 260 characters).
inline constexpr size_t kFatNameMaxBytes = 80;

// `title` made into one FAT32/exFAT-safe path component: control characters and : * ? " < > | \ /
// become '_', leading dots and spaces and trailing dots and spaces go, reserved device names (CON,
// NUL, COM1...) get a leading '_', the length is cut to kFatNameMaxBytes at a character boundary.
// `fallback` if nothing is left.
std::string FatSafeName(std::string_view title, std::string_view fallback);

// `name`, or "name (2)", "name (3)"... so that it differs from every name in `taken` ignoring ASCII
// case (FAT compares names that way); records it in `taken` (lower-cased).
std::string UniqueFatName(const std::string& name, std::set<std::string>* taken);

}  // namespace lm::edge
