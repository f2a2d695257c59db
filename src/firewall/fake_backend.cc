#include "firewall/fake_backend.h"

namespace weft::firewall {

Status FakeBackend::Apply(const nlohmann::json& batch) {
  applied_.push_back(batch);
  return apply_status_;
}

Result<nlohmann::json> FakeBackend::ListTable() { return listing_; }

}  // namespace weft::firewall
