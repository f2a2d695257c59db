#pragma once

// A shared library opened with dlopen() on first use instead of linked
// (docs/DECISIONS.md, "Libraries loaded on first use"), and its functions
// looked up by name into typed pointers. Never closed: what was loaded
// lives until the process ends. Used by the etcd client (libcurl), the nft
// backend (libnftables) and weft graph (Graphviz).

#include <dlfcn.h>

#include <string>

#include "base/result.h"

namespace weft {

class DynamicLibrary {
 public:
  // kUnavailable naming the library, the Debian package that ships it and
  // the loader's words when it cannot be loaded.
  static Result<DynamicLibrary> Open(const std::string& soname, const std::string& package) {
    void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return Unavailable("cannot load " + soname + " (Debian package " + package +
                         "): " + (why != nullptr ? why : "?"));
    }
    return DynamicLibrary(handle, soname);
  }

  // Looks `name` up into `out`; kUnavailable naming it when missing (a
  // library older than weft needs).
  template <typename F>
  Status Find(const char* name, F* out) const {
    void* sym = ::dlsym(handle_, name);
    if (sym == nullptr) return Unavailable(soname_ + " has no " + name);
    *out = reinterpret_cast<F>(sym);
    return Status::Ok();
  }

 private:
  DynamicLibrary(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  void* handle_;
  std::string soname_;
};

// A table of functions filled once by `Fill` (looking them up in libraries
// it opens), on first use: a function-local static per table type, so
// thread-safe and immutable afterwards. Every call returns the first
// answer: the table, or why it could not be filled.
template <typename Api, Status (*Fill)(Api&)>
Result<const Api*> LoadOnce() {
  struct Loaded {
    Api api{};
    Status status;
  };
  static const Loaded loaded = [] {
    Loaded l;
    l.status = Fill(l.api);
    return l;
  }();
  if (!loaded.status.ok()) return loaded.status;
  return &loaded.api;
}

}  // namespace weft
