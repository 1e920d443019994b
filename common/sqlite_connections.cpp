#include "common/sqlite_connections.h"

namespace lm::sql {

struct ThreadConnections::Connection {
  DbPtr db;  // declared first: statements are finalized before their connection closes
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements;
  ~Connection() { statements.clear(); }
};

ThreadConnections::ThreadConnections(std::string path, OnOpen on_open)
    : path_(std::move(path)), on_open_(std::move(on_open)) {}

ThreadConnections::~ThreadConnections() = default;

Result<ThreadConnections::Connection*> ThreadConnections::ThisThread() {
  std::lock_guard lock(mu_);
  auto& slot = connections_[std::this_thread::get_id()];
  if (!slot) {
    ASSIGN_OR_RETURN(DbPtr db, OpenDatabase(path_));
    if (on_open_) RETURN_IF_ERROR(on_open_(db.get()));
    slot = std::make_unique<Connection>();
    slot->db = std::move(db);
  }
  return slot.get();
}

Result<sqlite3*> ThreadConnections::Db() {
  ASSIGN_OR_RETURN(Connection * c, ThisThread());
  return c->db.get();
}

Result<ThreadConnections::Cached> ThreadConnections::Prepared(const std::string& sql) {
  ASSIGN_OR_RETURN(Connection * c, ThisThread());
  auto& slot = c->statements[sql];
  if (!slot) {
    ASSIGN_OR_RETURN(Statement st, Statement::Prepare(c->db.get(), sql));
    slot = std::make_unique<Statement>(std::move(st));
  }
  return Cached(slot.get());
}

}  // namespace lm::sql
