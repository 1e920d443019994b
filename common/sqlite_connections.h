#pragma once
// The one way LessonMesh's services hold an SQLite database: a connection per calling thread,
// opened on first use, each keeping the statements prepared on it.
//
// Why per thread and not one connection behind a mutex: the catalog answers searches and edge
// polls on several handler threads at once, and in WAL mode readers on their own connections run
// in parallel with each other and with the one writer; one shared connection would queue every
// search behind every other. Writers still take turns (BEGIN IMMEDIATE, busy timeout), which is
// what SQLite allows anyway. Used by the catalog store, the origin's job queue and the edge state.
//
// Thread-safe. A connection is only ever used by the thread that opened it. Connections live as
// long as this object; threads come from fixed pools, so their number stays small.

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "common/sqlite_db.h"
#include "common/status.h"

namespace lm::sql {

class ThreadConnections {
 public:
  // Runs on each new connection before first use (register a tokenizer, set pragmas).
  using OnOpen = std::function<Status(sqlite3*)>;

  explicit ThreadConnections(std::string path, OnOpen on_open = {});
  ~ThreadConnections();
  ThreadConnections(const ThreadConnections&) = delete;
  ThreadConnections& operator=(const ThreadConnections&) = delete;

  // A statement prepared once on this thread's connection; reset (so it holds no read
  // transaction open) when the caller lets go of it. Not to be kept beyond the call.
  class Cached {
   public:
    explicit Cached(Statement* s) : s_(s) {}
    Cached(Cached&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Cached& operator=(Cached&&) = delete;
    ~Cached() {
      if (s_ != nullptr) s_->Reset();
    }
    Statement* operator->() { return s_; }
    Statement& operator*() { return *s_; }

   private:
    Statement* s_;
  };

  // This thread's connection.
  Result<sqlite3*> Db();
  // This thread's prepared statement for `sql`.
  Result<Cached> Prepared(const std::string& sql);

  const std::string& path() const { return path_; }

 private:
  struct Connection;
  Result<Connection*> ThisThread();

  const std::string path_;
  const OnOpen on_open_;
  std::mutex mu_;
  std::unordered_map<std::thread::id, std::unique_ptr<Connection>> connections_;
};

}  // namespace lm::sql
