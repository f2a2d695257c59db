#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace weft::engine {

// One small, undoable change to the kernel or the store.
struct Step {
  // Stable identifier, used by fault injection (WEFT_FAULT=name:fail) and
  // listed by `weft debug steps`. Lowercase words joined by '-'.
  std::string name;
  // The equivalent command line(s) (ip, bridge, nft, sysctl), one per line,
  // printed by --dry-run; a learner could paste them.
  std::string explain;
  std::function<Status()> apply;
  // Reverts apply. Empty when nothing needs undoing (e.g. the object goes
  // away with something an earlier step's undo removes).
  std::function<Status()> undo;
};

// An ordered list of steps built before anything changes. Building a plan
// reads state but never mutates it; the Engine applies it.
class Plan {
 public:
  explicit Plan(std::string command) : command_(std::move(command)) {}

  void Add(Step step) { steps_.push_back(std::move(step)); }
  void Append(Plan other) {
    for (auto& s : other.steps_) steps_.push_back(std::move(s));
    for (auto& f : other.after_unlock_) after_unlock_.push_back(std::move(f));
  }
  // Work for once the plan is applied and the state lock released: what only
  // takes time and that no plan depends on (deleting a veth its step took out
  // of service: the kernel's unregistration takes ~20 ms, which many
  // commands can wait out at once, but not one after another). Best effort,
  // never undone; gc finishes what a crash leaves. core::Operation runs it.
  void AddAfterUnlock(std::function<void()> fn) { after_unlock_.push_back(std::move(fn)); }
  std::vector<std::function<void()>> TakeAfterUnlock() { return std::exchange(after_unlock_, {}); }

  const std::string& command() const { return command_; }
  const std::vector<Step>& steps() const { return steps_; }
  std::vector<Step>& mutable_steps() { return steps_; }
  bool empty() const { return steps_.empty(); }

  // Every step's explanation, in order, one command per line.
  std::string Explain() const;

 private:
  std::string command_;
  std::vector<Step> steps_;
  std::vector<std::function<void()>> after_unlock_;
};

}  // namespace weft::engine
