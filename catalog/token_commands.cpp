#include "catalog/token_commands.h"

#include <iomanip>

#include "catalog/auth.h"
#include "catalog/open_catalog_store.h"
#include "common/text_checks.h"

namespace lm::catalog {

namespace {

std::string TimeOrDash(std::int64_t t) { return t == 0 ? "-" : UtcTime(t); }
std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// What the token is now: in force, expired or revoked.
std::string StateOf(const TokenInfo& t, std::int64_t now) {
  auto refusal = RefuseToken(t, now);
  if (!refusal) return "active";
  return refusal->code == "token_revoked" ? "revoked" : "expired";
}

void PrintRow(std::ostream& out, const std::string& id, const std::string& prefix, const std::string& role,
              const std::string& school, const std::string& created, const std::string& expires,
              const std::string& revoked, const std::string& state, const std::string& label) {
  out << std::left << std::setw(6) << id << ' ' << std::setw(9) << prefix << ' ' << std::setw(10) << role << ' '
      << std::setw(16) << school << ' ' << std::setw(20) << created << ' ' << std::setw(20) << expires << ' '
      << std::setw(20) << revoked << ' ' << std::setw(7) << state << ' ' << label << "\n";
}

}  // namespace

Status CreateTokenCommand(const CatalogConfig& config, const TokenRequest& request, std::int64_t now,
                          std::ostream& out) {
  auto role = ParseRole(request.role);
  if (!role) return InvalidArgument("unknown role " + request.role, "role");
  if ((*role == Role::kEdge || *role == Role::kTeacher) && request.school.empty()) {
    return InvalidArgument("--school is required for edge and teacher tokens", "school");
  }
  TokenInfo info{.role = *role, .school_id = request.school, .label = request.label};
  if (!request.expires.empty()) {
    ASSIGN_OR_RETURN(info.expires_at, ParseExpiry(request.expires, now));
  }
  ASSIGN_OR_RETURN(auto store, OpenCatalogStore(config));
  ASSIGN_OR_RETURN(IssuedToken issued, IssueToken(*store, std::move(info), now));
  out << issued.token << "\n";
  return Status::Ok();
}

Status ListTokensCommand(const CatalogConfig& config, std::int64_t now, std::ostream& out) {
  ASSIGN_OR_RETURN(auto store, OpenCatalogStore(config));
  ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, store->ListTokens());
  PrintRow(out, "id", "prefix", "role", "school", "created", "expires", "revoked", "state", "label");
  for (const TokenInfo& t : tokens) {
    PrintRow(out, std::to_string(t.id), OrDash(t.prefix), RoleName(t.role), OrDash(t.school_id),
             TimeOrDash(t.created_at), TimeOrDash(t.expires_at), TimeOrDash(t.revoked_at), StateOf(t, now),
             t.label);
  }
  return Status::Ok();
}

Status RevokeTokenCommand(const CatalogConfig& config, const std::string& id, std::int64_t now, std::ostream& out) {
  if (!IsDecimal(id, 18, /*positive=*/true)) {
    return InvalidArgument("ID must be a token's id as `token list` shows it, not '" + id + "'", "id");
  }
  ASSIGN_OR_RETURN(auto store, OpenCatalogStore(config));
  auto revoked = store->RevokeToken(std::stoll(id), now);
  if (revoked.status().code() == StatusCode::kNotFound) {
    return InvalidArgument("no token with id " + id + " (see `token list`)", "id");
  }
  if (!revoked.ok()) return revoked.status();
  out << "revoked token " << revoked->id << " (" << RoleName(revoked->role)
      << (revoked->school_id.empty() ? "" : " of " + revoked->school_id) << ") at " << UtcTime(revoked->revoked_at)
      << "; the origin refuses it within 30 s\n";
  return Status::Ok();
}

}  // namespace lm::catalog
