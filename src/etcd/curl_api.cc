#include "etcd/curl_api.h"

#include <cstdlib>
#include <string>

#include "base/dynamic_library.h"

namespace weft::etcd {
namespace {

Status LoadInto(CurlApi& a) {
  WEFT_ASSIGN_OR_RETURN(DynamicLibrary lib, DynamicLibrary::Open("libcurl.so.4", "libcurl4"));
  // libcurl 7.68 or later has every one of them.
  WEFT_RETURN_IF_ERROR(lib.Find("curl_global_init", &a.global_init));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_global_cleanup", &a.global_cleanup));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_easy_init", &a.easy_init));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_easy_cleanup", &a.easy_cleanup));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_easy_setopt", &a.easy_setopt));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_easy_perform", &a.easy_perform));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_easy_getinfo", &a.easy_getinfo));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_easy_strerror", &a.easy_strerror));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_slist_append", &a.slist_append));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_slist_free_all", &a.slist_free_all));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_multi_init", &a.multi_init));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_multi_cleanup", &a.multi_cleanup));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_multi_add_handle", &a.multi_add_handle));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_multi_remove_handle", &a.multi_remove_handle));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_multi_perform", &a.multi_perform));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_multi_info_read", &a.multi_info_read));
  WEFT_RETURN_IF_ERROR(lib.Find("curl_multi_poll", &a.multi_poll));
  return lib.Find("curl_multi_wakeup", &a.multi_wakeup);
}

}  // namespace

Result<const CurlApi*> LoadCurl() {
  auto api = LoadOnce<CurlApi, LoadInto>();
  if (!api.ok()) return Unavailable("etcd client: " + api.status().message());
  return api;
}

const CurlApi& Curl() {
  auto api = LoadCurl();
  if (!api.ok()) std::abort();  // REQUIRES: LoadCurl() succeeded
  return **api;
}

}  // namespace weft::etcd
