#include "catalog/model.h"

namespace lm::catalog {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kTeacher: return "teacher";
    case Role::kOrigin: return "origin";
    case Role::kEdge: return "edge";
    case Role::kSupervisor: return "supervisor";
  }
  return "unknown";
}

std::optional<Role> ParseRole(const std::string& s) {
  for (Role r : {Role::kAdmin, Role::kTeacher, Role::kOrigin, Role::kEdge, Role::kSupervisor}) {
    if (s == RoleName(r)) return r;
  }
  return std::nullopt;
}

}  // namespace lm::catalog
