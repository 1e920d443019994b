#pragma once
// SQLite handles with RAII, error mapping, and a small prepared-statement wrapper.
// One Database per thread (SQLite connections are not shared across threads here).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lm::sql {

struct DbClose {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Maps an SQLite result code to a Status naming what failed and SQLite's message.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

// Opens (creating) a database file in WAL mode with foreign keys on and a busy timeout.
// ":memory:" opens a private in-memory database.
Result<DbPtr> OpenDatabase(const std::string& path);

// Runs one or more statements that return no rows.
Status Exec(sqlite3* db, std::string_view sql);

// A prepared statement: bind by 1-based index, step, read columns. Reset() to reuse.
class Statement {
 public:
  static Result<Statement> Prepare(sqlite3* db, std::string_view sql);

  Statement& Bind(int index, std::int64_t v);
  Statement& Bind(int index, double v);
  Statement& Bind(int index, std::string_view v);  // bound as TEXT (copied)
  Statement& BindBlob(int index, std::string_view v);
  Statement& BindNull(int index);

  // True while a row is available; false at the end. Errors come back as a Status.
  Result<bool> Step();
  // Steps once, expecting no row (INSERT/UPDATE/DELETE).
  Status Run();

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  double Double(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

  void Reset();
  sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  Statement(sqlite3* db, StmtPtr stmt) : db_(db), stmt_(std::move(stmt)) {}
  sqlite3* db_;
  StmtPtr stmt_;
  int bind_error_ = SQLITE_OK;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(sqlite3* db);
  Transaction(Transaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace lm::sql
