#include "etcd/base64.h"

#include <algorithm>

#include "etcd/crypto_api.h"

namespace weft::etcd {

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + EVP_EncodeBlock's NUL
  const int n = Crypto().encode_block(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  // EVP_DecodeBlock skips leading and trailing blanks and takes '=' where
  // base64 has none; etcd's (Go's) base64 never has either. Refusing them,
  // and lengths that are not a multiple of 4, keeps decoding strict.
  const size_t pad_at = text.find('=');
  const size_t pad = pad_at == std::string_view::npos ? 0 : text.size() - pad_at;
  if (text.size() % 4 != 0 || pad > 2 ||
      text.find_first_not_of('=', std::min(pad_at, text.size())) != std::string_view::npos ||
      text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return InvalidArgument("not base64: \"" + std::string(text.substr(0, 40)) + "\"");
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = Crypto().decode_block(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (n < 0) return InvalidArgument("not base64: \"" + std::string(text.substr(0, 40)) + "\"");
  // EVP_DecodeBlock counts the bytes the padding stands for as zeros.
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace weft::etcd
