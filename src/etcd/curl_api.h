#pragma once

// libcurl, loaded when the first etcd client is made (dlopen of
// libcurl.so.4) instead of linked into weft: libcurl with OpenSSL pulls in
// some 28 shared libraries (Kerberos, LDAP, GnuTLS for RTMP, ...) that every
// weft command would otherwise map and relocate at start, though only the
// cluster commands and weftd in a cluster talk to etcd. Measured: `weft
// --version` 19 ms linked against it... 44 ms (docs/DECISIONS.md, "libcurl
// loaded on first use").
//
// The table is filled once, on first use (a function-local static: thread-
// safe, immutable afterwards), so no mutable global state.

#include <curl/curl.h>

#include "base/result.h"

namespace weft::etcd {

struct CurlApi {
  CURLcode (*global_init)(long flags);
  void (*global_cleanup)();
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLM* (*multi_init)();
  CURLMcode (*multi_cleanup)(CURLM*);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_perform)(CURLM*, int*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  CURLMcode (*multi_poll)(CURLM*, curl_waitfd[], unsigned int, int, int*);
  CURLMcode (*multi_wakeup)(CURLM*);
};

// The loaded library, or kUnavailable naming what is missing (libcurl4 not
// installed, or too old for a function weft uses). Every call after the
// first returns the same answer.
Result<const CurlApi*> LoadCurl();

// The table, for code that only runs once LoadCurl() succeeded (every
// handle exists because a Client was made, and Client::Create loads it).
const CurlApi& Curl();

}  // namespace weft::etcd
