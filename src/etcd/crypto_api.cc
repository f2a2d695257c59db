#include "etcd/crypto_api.h"

#include <cstdio>
#include <cstdlib>

#include "base/dynamic_library.h"

namespace weft::etcd {
namespace {

struct CryptoLoaded {
  CryptoApi api{};
  Status status;  // OK when loaded
};

Status CryptoLoadInto(CryptoApi& a) {
  WEFT_ASSIGN_OR_RETURN(DynamicLibrary lib, DynamicLibrary::Open("libcrypto.so.3", "libssl3"));
  WEFT_RETURN_IF_ERROR(lib.Find("EVP_EncodeBlock", &a.encode_block));
  WEFT_RETURN_IF_ERROR(lib.Find("EVP_DecodeBlock", &a.decode_block));
  return lib.Find("SHA256", &a.sha256);
}

const CryptoLoaded& CryptoLibrary() {
  static const CryptoLoaded loaded = [] {
    CryptoLoaded l;
    l.status = CryptoLoadInto(l.api);
    return l;
  }();  // once, thread-safe; never changes after
  return loaded;
}

}  // namespace

Result<const CryptoApi*> LoadCrypto() {
  const CryptoLoaded& l = CryptoLibrary();
  if (!l.status.ok()) return l.status;
  return &l.api;
}

const CryptoApi& Crypto() {
  const CryptoLoaded& l = CryptoLibrary();
  if (!l.status.ok()) {
    std::fprintf(stderr, "weft: error: %s\n", l.status.message().c_str());
    std::exit(1);
  }
  return l.api;
}

}  // namespace weft::etcd
