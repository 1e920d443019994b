#include "common/sqlite_db.h"

#include <mutex>

namespace lm::sql {

namespace {

// SQLite counts every allocation of every connection in one set of statistics behind one mutex
// (SQLITE_DEFAULT_MEMSTATUS), which the catalog's search workers took turns at for every one:
// 2.4% of a search benchmark's CPU in lock and unlock alone (bench/RESULTS.md). Nothing here reads
// those statistics or sets a heap limit. They can only be turned off before SQLite is initialised;
// every database here is opened through this function, and should anything have initialised
// SQLite first, it refuses (SQLITE_MISUSE) and keeps counting, which changes no result.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  StatusCode code = StatusCode::kInternal;
  if (primary == SQLITE_CONSTRAINT) code = StatusCode::kAlreadyExists;
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) code = StatusCode::kIo;
  return Status(code, std::move(msg));
}

Result<DbPtr> OpenDatabase(const std::string& path) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);  // sqlite3_open_v2 hands back a handle even on failure
  if (rc != SQLITE_OK) return SqliteStatus(db.get(), rc, "open " + path);
  sqlite3_busy_timeout(db.get(), 5000);
  RETURN_IF_ERROR(Exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return db;
}

Status Exec(sqlite3* db, std::string_view sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return SqliteStatus(nullptr, rc, "exec").WithContext(msg);
  }
  return Status::Ok();
}

Result<Statement> Statement::Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteStatus(db, rc, "prepare");
  return Statement(db, std::move(stmt));
}

Statement& Statement::Bind(int index, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, v);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::Bind(int index, double v) {
  const int rc = sqlite3_bind_double(stmt_.get(), index, v);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::Bind(int index, std::string_view v) {
  const int rc = sqlite3_bind_text64(stmt_.get(), index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view v) {
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, v.data(), v.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) return SqliteStatus(db_, bind_error_, "bind");
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(db_, rc, "step");
}

Status Statement::Run() {
  ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  return Status::Ok();
}

std::string Statement::Text(int col) const {
  const auto* p = sqlite3_column_blob(stmt_.get(), col);
  const int n = sqlite3_column_bytes(stmt_.get(), col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = SQLITE_OK;
}

Result<Transaction> Transaction::Begin(sqlite3* db) {
  RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Commit() {
  if (!db_) return Internal("transaction already finished");
  RETURN_IF_ERROR(Exec(db_, "COMMIT"));
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace lm::sql
