#include "etcd/curl_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace weft::etcd {
namespace {

struct Loaded {
  CurlApi api{};
  std::string error;  // "" when loaded
};

template <typename F>
bool Find(void* lib, const char* name, F* out, std::string* error) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    *error = std::string("libcurl.so.4 has no ") + name + " (libcurl 7.68 or later is needed)";
    return false;
  }
  *out = reinterpret_cast<F>(sym);
  return true;
}

Loaded Load() {
  Loaded l;
  // Never unloaded: handles and the table live until the process ends.
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    l.error = std::string("cannot load libcurl.so.4 (Debian package libcurl4): ") +
              (why != nullptr ? why : "?");
    return l;
  }
  CurlApi& a = l.api;
  std::string& e = l.error;
  const bool ok = Find(lib, "curl_global_init", &a.global_init, &e) &&
                  Find(lib, "curl_global_cleanup", &a.global_cleanup, &e) &&
                  Find(lib, "curl_easy_init", &a.easy_init, &e) &&
                  Find(lib, "curl_easy_cleanup", &a.easy_cleanup, &e) &&
                  Find(lib, "curl_easy_setopt", &a.easy_setopt, &e) &&
                  Find(lib, "curl_easy_perform", &a.easy_perform, &e) &&
                  Find(lib, "curl_easy_getinfo", &a.easy_getinfo, &e) &&
                  Find(lib, "curl_easy_strerror", &a.easy_strerror, &e) &&
                  Find(lib, "curl_slist_append", &a.slist_append, &e) &&
                  Find(lib, "curl_slist_free_all", &a.slist_free_all, &e) &&
                  Find(lib, "curl_multi_init", &a.multi_init, &e) &&
                  Find(lib, "curl_multi_cleanup", &a.multi_cleanup, &e) &&
                  Find(lib, "curl_multi_add_handle", &a.multi_add_handle, &e) &&
                  Find(lib, "curl_multi_remove_handle", &a.multi_remove_handle, &e) &&
                  Find(lib, "curl_multi_perform", &a.multi_perform, &e) &&
                  Find(lib, "curl_multi_info_read", &a.multi_info_read, &e) &&
                  Find(lib, "curl_multi_poll", &a.multi_poll, &e) &&
                  Find(lib, "curl_multi_wakeup", &a.multi_wakeup, &e);
  if (!ok) ::dlclose(lib);
  return l;
}

const Loaded& Library() {
  static const Loaded loaded = Load();  // once, thread-safe; never changes after
  return loaded;
}

}  // namespace

Result<const CurlApi*> LoadCurl() {
  const Loaded& l = Library();
  if (!l.error.empty()) return Unavailable("etcd client: " + l.error);
  return &l.api;
}

const CurlApi& Curl() {
  const Loaded& l = Library();
  if (!l.error.empty()) std::abort();  // REQUIRES: LoadCurl() succeeded
  return l.api;
}

}  // namespace weft::etcd
