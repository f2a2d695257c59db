// The SQLite backend's key/value rows (meta).

#include "store/sqlite_tx.h"

namespace weft::store::sqlite {

Result<std::optional<std::string>> SqliteTx::GetMeta(std::string_view key) {
  Query q(db_, "SELECT value FROM meta WHERE key = ?");
  q.Text(key);
  return QueryOneText(q);
}

Status SqliteTx::PutMeta(std::string_view key, std::string_view value) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  Query q(db_,
          "INSERT INTO meta(key, value) VALUES (?, ?) "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  q.Text(key).Text(value);
  return q.Run();
}

}  // namespace weft::store::sqlite
