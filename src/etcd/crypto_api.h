#pragma once

// OpenSSL's libcrypto, for the three functions the cluster code needs
// (base64 for etcd's JSON gateway, SHA-256 for a node's VTEP MAC), loaded
// on first use (dlopen of libcrypto.so.3) instead of linked: its start-up
// constructor probes the CPU with CPUID, which a VM traps, on every weft
// command (issue #16's start-up; docs/DECISIONS.md "Libraries loaded on
// first use"). libcurl, which the etcd client loads anyway, depends on it.

#include <cstddef>

#include "base/result.h"

namespace weft::etcd {

struct CryptoApi {
  int (*encode_block)(unsigned char* t, const unsigned char* f, int n);           // EVP_EncodeBlock
  int (*decode_block)(unsigned char* t, const unsigned char* f, int n);           // EVP_DecodeBlock
  unsigned char* (*sha256)(const unsigned char* d, size_t n, unsigned char* md);  // SHA256
};

// The loaded library, or kUnavailable naming what is missing. Every call
// after the first returns the same answer. etcd::Client::Open loads it.
Result<const CryptoApi*> LoadCrypto();

// The table. Loads it if needed; a libcrypto that cannot be loaded (it
// comes with libcurl, which the etcd client needs) ends the process with
// a message.
const CryptoApi& Crypto();

}  // namespace weft::etcd
