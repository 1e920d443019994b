#pragma once
// The URL a printed QR code carries (微课二维码): http://<lan name>/l/<lesson id>. The LAN name is
// one per community (a setting of the catalog and of every edge, the same everywhere), a name each
// school's edge answers to on its own LAN (by mDNS or the school's DNS), so one printed sheet works
// in every school; the edge answers /l/<id> itself (edge/edge_routes.h). Pure functions.

#include <string>
#include <string_view>

namespace lm {

// The default matches the edge's default port, so the defaults work together out of the box.
inline constexpr char kDefaultLanName[] = "lessonmesh.local:8080";

// A host name of letters, digits, '-' and '.' (at most 253 characters, no empty label), with an
// optional ":port" (1-65535).
bool IsLanName(std::string_view name);

// "http://<lan_name>/l/<lesson_id>".
std::string LessonLinkUrl(std::string_view lan_name, std::string_view lesson_id);

}  // namespace lm
