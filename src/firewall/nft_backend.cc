// The only file that talks to libnftables. The library is loaded on first
// use (dlopen of libnftables.so.1), not linked: with libmnl, libnftnl,
// libxtables, libjansson and libgmp under it, it is 6 of the shared
// libraries every weft command would map and relocate at start, though
// read-only commands never touch the firewall (issue #16's start-up;
// docs/DECISIONS.md, "Libraries loaded on first use").
#include <nftables/libnftables.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/dynamic_library.h"
#include "firewall/backend.h"
#include "firewall/ruleset.h"

namespace weft::firewall {
namespace {

struct NftApi {
  nft_ctx* (*ctx_new)(uint32_t);
  void (*ctx_free)(nft_ctx*);
  void (*output_set_flags)(nft_ctx*, unsigned int);
  int (*buffer_output)(nft_ctx*);
  int (*buffer_error)(nft_ctx*);
  const char* (*get_output_buffer)(nft_ctx*);
  const char* (*get_error_buffer)(nft_ctx*);
  int (*run_cmd_from_buffer)(nft_ctx*, const char*);
};

Status NftFill(NftApi& a) {
  WEFT_ASSIGN_OR_RETURN(DynamicLibrary lib,
                        DynamicLibrary::Open("libnftables.so.1", "libnftables1"));
  WEFT_RETURN_IF_ERROR(lib.Find("nft_ctx_new", &a.ctx_new));
  WEFT_RETURN_IF_ERROR(lib.Find("nft_ctx_free", &a.ctx_free));
  WEFT_RETURN_IF_ERROR(lib.Find("nft_ctx_output_set_flags", &a.output_set_flags));
  WEFT_RETURN_IF_ERROR(lib.Find("nft_ctx_buffer_output", &a.buffer_output));
  WEFT_RETURN_IF_ERROR(lib.Find("nft_ctx_buffer_error", &a.buffer_error));
  WEFT_RETURN_IF_ERROR(lib.Find("nft_ctx_get_output_buffer", &a.get_output_buffer));
  WEFT_RETURN_IF_ERROR(lib.Find("nft_ctx_get_error_buffer", &a.get_error_buffer));
  return lib.Find("nft_run_cmd_from_buffer", &a.run_cmd_from_buffer);
}

// The table, or kUnavailable; loaded once.
Result<const NftApi*> LoadNft() {
  auto api = LoadOnce<NftApi, NftFill>();
  if (!api.ok()) return Unavailable("nftables: " + api.status().message());
  return api;
}

struct NftCtxDeleter {
  const NftApi* api;
  void operator()(nft_ctx* ctx) const { api->ctx_free(ctx); }
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
  NftBackend(const NftApi& api, NftCtxPtr ctx) : api_(api), ctx_(std::move(ctx)) {}

  Status Apply(const nlohmann::json& batch) override {
    auto out = Run(batch.dump());
    if (!out.ok()) return out.status().Wrap("apply nftables batch");
    return Status::Ok();
  }

  Result<nlohmann::json> ListTable() override {
    auto listing =
        List({{"table", {{"family", kTableFamily}, {"name", kTableName}}}}, "list table inet weft");
    if (!listing.ok() && listing.status().code() == Code::kNotFound) return nlohmann::json();
    return listing;
  }

  Result<nlohmann::json> ListForeignTables() override {
    // `list tables`, then each table but weft's own: with many services
    // weft's table is most of the ruleset, and nobody reading this wants it.
    WEFT_ASSIGN_OR_RETURN(nlohmann::json tables, List({{"tables", nullptr}}, "list tables"));
    nlohmann::json out = {{"nftables", nlohmann::json::array()}};
    for (const auto& item : tables["nftables"]) {
      if (!item.contains("table")) {
        out["nftables"].push_back(item);  // metainfo
        continue;
      }
      const std::string family = item["table"].value("family", "");
      const std::string name = item["table"].value("name", "");
      if (family == kTableFamily && name == kTableName) continue;
      auto listing = List({{"table", {{"family", family}, {"name", name}}}},
                          "list table " + family + " " + name);
      if (!listing.ok() && listing.status().code() == Code::kNotFound) continue;  // gone meanwhile
      WEFT_RETURN_IF_ERROR(listing.status());
      for (auto& entry : (*listing)["nftables"]) {
        if (!entry.contains("metainfo")) out["nftables"].push_back(std::move(entry));
      }
    }
    return out;
  }

 private:
  // Runs one `list` command and parses its JSON.
  Result<nlohmann::json> List(nlohmann::json what, const std::string& label) {
    const nlohmann::json cmd = {{"nftables", {{{"list", std::move(what)}}}}};
    auto text = Run(cmd.dump());
    if (!text.ok()) return text.status().Wrap(label);
    nlohmann::json listing = nlohmann::json::parse(*text, nullptr, false);
    if (listing.is_discarded() || !listing.contains("nftables")) {
      return Internal(label + ": libnftables printed invalid JSON");
    }
    return listing;
  }

  // Runs one buffer (one transaction) and returns its output. Always drains
  // both buffers: libnftables rewinds them on read, not on run.
  Result<std::string> Run(const std::string& buffer) {
    const int rc = api_.run_cmd_from_buffer(ctx_.get(), buffer.c_str());
    std::string out = api_.get_output_buffer(ctx_.get());
    std::string err = Trim(api_.get_error_buffer(ctx_.get()));
    if (rc != 0) {
      if (err.empty()) err = "libnftables failed without a message";
      return Status(CodeFromNftError(err), "nft: " + err);
    }
    return out;
  }

  const NftApi& api_;
  NftCtxPtr ctx_;
};

}  // namespace

Result<std::unique_ptr<Backend>> NewNftBackend() {
  WEFT_ASSIGN_OR_RETURN(const NftApi* api, LoadNft());
  NftCtxPtr ctx(api->ctx_new(NFT_CTX_DEFAULT), NftCtxDeleter{api});
  if (ctx == nullptr) return Internal("nft_ctx_new failed");
  // JSON output. In libnftables 1.0.6 this flag also makes
  // nft_run_cmd_from_buffer parse its input as JSON (NFT_CTX_INPUT_JSON
  // only exists from 1.0.7 on).
  api->output_set_flags(ctx.get(), NFT_CTX_OUTPUT_JSON);
  if (api->buffer_output(ctx.get()) != 0 || api->buffer_error(ctx.get()) != 0) {
    return Internal("libnftables: cannot buffer output");
  }
  return std::unique_ptr<Backend>(new NftBackend(*api, std::move(ctx)));
}

}  // namespace weft::firewall
