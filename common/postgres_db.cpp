#include "common/postgres_db.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace lm::pg {

namespace {

std::string FirstWords(std::string_view sql) {
  const size_t start = sql.find_first_not_of(" \n");
  if (start == std::string_view::npos) return "";
  sql.remove_prefix(start);
  return std::string(sql.substr(0, std::min<size_t>(sql.size(), 40)));
}

// SQLSTATE classes: 23 integrity constraint violation, 08 connection exception, 57 operator
// intervention (the server shutting down), 53 insufficient resources.
Status ResultStatus(PGconn* conn, const PGresult* result, std::string_view what) {
  const char* sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result ? PQresultErrorMessage(result) : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const std::string text = std::string(what) + ": " + message;
  const std::string_view state = sqlstate ? sqlstate : "";
  if (state.starts_with("23")) return Status(StatusCode::kAlreadyExists, text);
  if (state.starts_with("08") || state.starts_with("57") || state.starts_with("53") || state.empty()) {
    return IoError(text);
  }
  if (state.starts_with("22") || state.starts_with("42")) return Status(StatusCode::kInvalidArgument, text);
  return Internal(text);
}

}  // namespace

Result<ConnPtr> Connect(const std::string& conninfo) { return Connect(conninfo, {}); }

Result<ConnPtr> Connect(const std::string& conninfo,
                        const std::vector<std::pair<std::string, std::string>>& settings) {
  // dbname first, expanded (expand_dbname) into what the string names; the settings after it
  // override.
  std::vector<const char*> keywords = {"dbname"};
  std::vector<const char*> values = {conninfo.c_str()};
  for (const auto& [key, value] : settings) {
    keywords.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  ConnPtr conn(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (!conn) return IoError("postgresql: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return IoError("connect to postgresql: " + message);
  }
  if (PQsetClientEncoding(conn.get(), "UTF8") != 0) return IoError("postgresql: cannot use UTF8");
  return conn;
}

Params& Params::Add(std::string_view text) {
  values_.emplace_back(text);
  lengths_.push_back(static_cast<int>(text.size()));
  formats_.push_back(0);
  return *this;
}

Params& Params::Add(double value) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  return Add(std::string_view(buf));
}

Params& Params::AddBytes(std::string_view bytes) {
  values_.emplace_back(bytes);
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  return *this;
}

const char* const* Params::values() const {
  pointers_.clear();
  for (const std::string& v : values_) pointers_.push_back(v.data());
  return pointers_.data();
}

std::string Rows::Text(int row, int col) const {
  return std::string(PQgetvalue(result_.get(), row, col), static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

std::int64_t Rows::Int(int row, int col) const {
  const char* v = PQgetvalue(result_.get(), row, col);
  // sum() of bigints is numeric: "12" or, for a fraction, "12.5" (cut to its integer part).
  return std::strtoll(v, nullptr, 10);
}

double Rows::Double(int row, int col) const { return std::strtod(PQgetvalue(result_.get(), row, col), nullptr); }

std::string Rows::Bytes(int row, int col) const {
  size_t size = 0;
  std::unique_ptr<unsigned char, Free<PQfreemem>> bytes(
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, col)), &size));
  if (!bytes) return "";
  return std::string(reinterpret_cast<const char*>(bytes.get()), size);
}

std::int64_t Rows::Changed() const {
  const char* n = PQcmdTuples(result_.get());
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

Result<Rows> Exec(PGconn* conn, std::string_view sql, const Params& params) {
  const std::string text(sql);
  ResultPtr result(PQexecParams(conn, text.c_str(), params.size(), nullptr, params.size() ? params.values() : nullptr,
                                params.lengths(), params.formats(), /*resultFormat=*/0));
  const ExecStatusType st = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ResultStatus(conn, result.get(), FirstWords(sql));
  return Rows(std::move(result));
}

Status ExecScript(PGconn* conn, std::string_view sql) {
  const std::string text(sql);
  ResultPtr result(PQexec(conn, text.c_str()));
  const ExecStatusType st = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ResultStatus(conn, result.get(), FirstWords(sql));
  return Status::Ok();
}

Result<Transaction> Transaction::Begin(PGconn* conn) {
  RETURN_IF_ERROR(ExecScript(conn, "BEGIN"));
  return Transaction(conn);
}

Transaction::~Transaction() {
  if (conn_) (void)ExecScript(conn_, "ROLLBACK");
}

Status Transaction::Commit() {
  PGconn* conn = std::exchange(conn_, nullptr);
  return ExecScript(conn, "COMMIT");
}

}  // namespace lm::pg
