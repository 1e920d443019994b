#pragma once
// libpq for LessonMesh: its handles owned (PGconn, PGresult), its errors mapped once to lm::Status
// (a constraint violation is kAlreadyExists, as SqliteStatus maps SQLITE_CONSTRAINT), statements
// run with text parameters ($1, $2, ...) and their rows read by column. Used by the PostgreSQL
// catalog store and the tests' throwaway server. A connection is used by one thread at a time.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace lm::pg {

template <auto F>
struct Free {
  void operator()(auto* p) const noexcept { F(p); }
};
using ConnPtr = std::unique_ptr<PGconn, Free<PQfinish>>;
using ResultPtr = std::unique_ptr<PGresult, Free<PQclear>>;

// Opens a connection (a libpq connection string or postgresql:// URI) in UTF-8.
Result<ConnPtr> Connect(const std::string& conninfo);
// The same with libpq settings on top of those `conninfo` names, e.g. {"keepalives_idle", "30"}.
Result<ConnPtr> Connect(const std::string& conninfo,
                        const std::vector<std::pair<std::string, std::string>>& settings);

// A statement's parameters, all sent as text except bytes (bytea, sent binary). Never null.
class Params {
 public:
  Params& Add(std::string_view text);
  Params& Add(const std::string& text) { return Add(std::string_view(text)); }
  Params& Add(const char* text) { return Add(std::string_view(text)); }
  Params& Add(std::int64_t value) { return Add(std::to_string(value)); }
  Params& Add(int value) { return Add(std::to_string(value)); }
  Params& Add(double value);
  Params& AddBytes(std::string_view bytes);

  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  mutable std::vector<const char*> pointers_;
  std::vector<int> lengths_, formats_;
};

// A statement's result: its rows, as text, and how many rows a command changed.
class Rows {
 public:
  explicit Rows(ResultPtr result) : result_(std::move(result)) {}
  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  std::string Text(int row, int col) const;
  std::int64_t Int(int row, int col) const;
  double Double(int row, int col) const;
  // A bytea column, unescaped.
  std::string Bytes(int row, int col) const;
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t Changed() const;

 private:
  ResultPtr result_;
};

// Runs one statement. A failure names `sql`'s first words and PostgreSQL's message.
Result<Rows> Exec(PGconn* conn, std::string_view sql, const Params& params = {});
// Runs a script of statements with no parameters (a migration).
Status ExecScript(PGconn* conn, std::string_view sql);

// BEGIN on construction; ROLLBACK unless Commit was called.
class Transaction {
 public:
  static Result<Transaction> Begin(PGconn* conn);
  Transaction(Transaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace lm::pg
