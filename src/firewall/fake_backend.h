#pragma once

#include <vector>

#include "firewall/backend.h"

namespace weft::firewall {

// A Backend for unit tests: records every applied batch and never touches
// the kernel. ListTable() returns whatever the test set with
// set_listing() (null json by default, i.e. "no table").
class FakeBackend : public Backend {
 public:
  Status Apply(const nlohmann::json& batch) override;
  Result<nlohmann::json> ListTable() override;
  // Returns the listing set with set_listing() (the fake knows one table).
  Result<nlohmann::json> ListForeignTables() override { return ListTable(); }

  // Batches passed to Apply, oldest first (failed ones included).
  const std::vector<nlohmann::json>& applied() const { return applied_; }

  // Makes the next Apply calls fail with `status` (Ok to succeed again).
  void set_apply_status(Status status) { apply_status_ = std::move(status); }
  void set_listing(nlohmann::json listing) { listing_ = std::move(listing); }

 private:
  std::vector<nlohmann::json> applied_;
  Status apply_status_;
  nlohmann::json listing_;
};

}  // namespace weft::firewall
