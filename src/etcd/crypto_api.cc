#include "etcd/crypto_api.h"

#include <cstdio>
#include <cstdlib>

#include "base/dynamic_library.h"

namespace weft::etcd {
namespace {

Status CryptoFill(CryptoApi& a) {
  WEFT_ASSIGN_OR_RETURN(DynamicLibrary lib, DynamicLibrary::Open("libcrypto.so.3", "libssl3"));
  WEFT_RETURN_IF_ERROR(lib.Find("EVP_EncodeBlock", &a.encode_block));
  WEFT_RETURN_IF_ERROR(lib.Find("EVP_DecodeBlock", &a.decode_block));
  return lib.Find("SHA256", &a.sha256);
}

}  // namespace

Result<const CryptoApi*> LoadCrypto() { return LoadOnce<CryptoApi, CryptoFill>(); }

const CryptoApi& Crypto() {
  auto api = LoadCrypto();
  if (!api.ok()) {
    std::fprintf(stderr, "weft: error: %s\n", api.status().message().c_str());
    std::exit(1);
  }
  return **api;
}

}  // namespace weft::etcd
