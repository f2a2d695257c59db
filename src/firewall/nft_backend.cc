// The only file that talks to libnftables.
#include <nftables/libnftables.h>

#include <memory>
#include <string>
#include <string_view>

#include "firewall/backend.h"
#include "firewall/ruleset.h"

namespace weft::firewall {
namespace {

struct NftCtxDeleter {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};
using NftCtxPtr = std::unique_ptr<nft_ctx, NftCtxDeleter>;

// libnftables' own words, without the trailing newlines.
std::string Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

// Picks a code from libnftables' message (it reports errno text).
Code CodeFromNftError(std::string_view message) {
  if (message.find("Operation not permitted") != std::string_view::npos) {
    return Code::kPermissionDenied;
  }
  if (message.find("No such file or directory") != std::string_view::npos) {
    return Code::kNotFound;
  }
  if (message.find("File exists") != std::string_view::npos) {
    return Code::kAlreadyExists;
  }
  return Code::kInternal;
}

class NftBackend : public Backend {
 public:
  explicit NftBackend(NftCtxPtr ctx) : ctx_(std::move(ctx)) {}

  Status Apply(const nlohmann::json& batch) override {
    auto out = Run(batch.dump());
    if (!out.ok()) return out.status().Wrap("apply nftables batch");
    return Status::Ok();
  }

  Result<nlohmann::json> ListTable() override {
    const nlohmann::json cmd = {
        {"nftables", {{{"list", {{"table", {{"family", kTableFamily}, {"name", kTableName}}}}}}}}};
    auto out = Run(cmd.dump());
    if (!out.ok()) {
      if (out.status().code() == Code::kNotFound) return nlohmann::json();
      return out.status().Wrap("list table inet weft");
    }
    nlohmann::json listing =
        nlohmann::json::parse(*out, /*cb=*/nullptr, /*allow_exceptions=*/false);
    if (listing.is_discarded()) {
      return Internal("list table inet weft: libnftables printed invalid JSON");
    }
    return listing;
  }

  Result<nlohmann::json> ListRuleset() override {
    const nlohmann::json cmd = {{"nftables", {{{"list", {{"ruleset", nullptr}}}}}}};
    WEFT_ASSIGN_OR_RETURN(std::string out, Run(cmd.dump()));
    nlohmann::json listing = nlohmann::json::parse(out, nullptr, false);
    if (listing.is_discarded()) return Internal("list ruleset: libnftables printed invalid JSON");
    return listing;
  }

 private:
  // Runs one buffer (one transaction) and returns its output. Always drains
  // both buffers: libnftables rewinds them on read, not on run.
  Result<std::string> Run(const std::string& buffer) {
    const int rc = nft_run_cmd_from_buffer(ctx_.get(), buffer.c_str());
    std::string out = nft_ctx_get_output_buffer(ctx_.get());
    std::string err = Trim(nft_ctx_get_error_buffer(ctx_.get()));
    if (rc != 0) {
      if (err.empty()) err = "libnftables failed without a message";
      return Status(CodeFromNftError(err), "nft: " + err);
    }
    return out;
  }

  NftCtxPtr ctx_;
};

}  // namespace

Result<std::unique_ptr<Backend>> NewNftBackend() {
  NftCtxPtr ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (ctx == nullptr) return Internal("nft_ctx_new failed");
  // JSON output. In libnftables 1.0.6 this flag also makes
  // nft_run_cmd_from_buffer parse its input as JSON (NFT_CTX_INPUT_JSON
  // only exists from 1.0.7 on).
  nft_ctx_output_set_flags(ctx.get(), NFT_CTX_OUTPUT_JSON);
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0) {
    return Internal("libnftables: cannot buffer output");
  }
  return std::unique_ptr<Backend>(new NftBackend(std::move(ctx)));
}

}  // namespace weft::firewall
