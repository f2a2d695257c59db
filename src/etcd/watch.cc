#include "etcd/watch.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "etcd/codec.h"

namespace weft::etcd {

using json = nlohmann::json;

namespace {

// A transfer added to a multi handle for the scope's length.
class MultiTransfer {
 public:
  MultiTransfer(CURLM* multi, CURL* easy) : multi_(multi), easy_(easy) {
    if (Curl().multi_add_handle(multi_, easy_) != CURLM_OK) std::abort();  // out of memory
  }
  ~MultiTransfer() { Curl().multi_remove_handle(multi_, easy_); }
  MultiTransfer(const MultiTransfer&) = delete;
  MultiTransfer& operator=(const MultiTransfer&) = delete;

 private:
  CURLM* multi_;
  CURL* easy_;
};

// How long Curl().multi_poll() may sleep before the loop looks at the clock
// again (Cancel() wakes it at once anyway).
constexpr int kPollMs = 1000;
// The pause after a stream that had worked broke, and between rounds of
// members that all failed.
constexpr int kRetryPauseMs = 200;
using Clock = std::chrono::steady_clock;

}  // namespace

Watch::Watch(const Client& client, WatchRequest request)
    : client_(client),
      request_(std::move(request)),
      next_revision_(request_.start_revision),
      multi_(Curl().multi_init()) {
  if (!multi_) std::abort();  // out of memory
}

void Watch::Cancel() {
  cancelled_.store(true);
  Curl().multi_wakeup(multi_.get());
}

Result<WatchEnd> Watch::Run(const Handler& handler) {
  const std::vector<std::string>& endpoints = client_.options().endpoints;
  const size_t n = endpoints.size();
  size_t index = client_.preferred_endpoint() % n;
  std::string failures;
  size_t failed_in_row = 0;
  Clock::time_point failing_since;
  while (!cancelled_.load()) {
    bool progressed = false;
    std::string failure;
    const Clock::time_point attempt_start = Clock::now();
    WEFT_ASSIGN_OR_RETURN(auto end, Attempt(endpoints[index], handler, &progressed, &failure));
    if (end) return *end;
    if (progressed) {
      client_.set_preferred_endpoint(index);
      failures.clear();
      failed_in_row = 0;
    }
    if (failed_in_row == 0) failing_since = progressed ? Clock::now() : attempt_start;
    failures += (failures.empty() ? "" : "; ") + endpoints[index] + ": " + failure;
    ++failed_in_row;
    index = (index + 1) % n;
    if (progressed || failed_in_row % n == 0) {
      // A stream that worked broke, or every member failed in turn (an
      // election looks like that for a second or two): pause, and give up
      // only once members have been failing for the client's timeout.
      if (!progressed && Clock::now() - failing_since >= client_.options().timeout) {
        return Unavailable("etcd watch: no member answered: " + failures);
      }
      // A cancellable sleep (nothing to poll but the wakeup), so a member
      // that accepts watches and drops them is not hammered.
      Curl().multi_poll(multi_.get(), nullptr, 0, kRetryPauseMs, nullptr);
      if (!progressed) failures.clear();
    }
  }
  return WatchEnd{.reason = WatchEnd::Reason::kCancelled, .next_revision = next_revision_};
}

Result<std::optional<WatchEnd>> Watch::Attempt(const std::string& endpoint, const Handler& handler,
                                               bool* progressed, std::string* failure) {
  const std::string here = "etcd watch " + endpoint + ": ";
  WatchRequest request = request_;
  request.start_revision = next_revision_;
  JsonPost post(endpoint + "/v3/watch", EncodeWatchCreate(request).dump(),
                client_.options().dial_timeout);
  // Without it a member that lost its leader keeps the stream open and
  // silent; with it the member refuses ("no leader") and we move on.
  post.AddHeader("Grpc-Metadata-hasleader: true");

  bool created = false;
  std::optional<WatchEnd> end;  // compaction
  Status error;                 // a refusal: no other member would do better

  // One message; false stops the stream (with end, error or *failure set).
  auto on_message = [&](std::string_view line) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      error = Internal(here + "not JSON: " + std::string(line.substr(0, 200)));
      return false;
    }
    if (auto e = DecodeGatewayError(j)) {
      Status s(CodeFromGrpc(e->grpc_code), here + e->message);
      if (s.code() == Code::kUnavailable) {
        *failure = e->message;
      } else {
        error = s;
      }
      return false;
    }
    auto r = DecodeWatchResponse(j);
    if (!r.ok()) {
      error = r.status().Wrap("etcd watch " + endpoint);
      return false;
    }
    if (r->canceled) {
      if (r->compact_revision != 0) {
        end = WatchEnd{.reason = WatchEnd::Reason::kCompacted,
                       .compact_revision = r->compact_revision,
                       .next_revision = next_revision_};
      } else {
        error = FailedPrecondition(here + "cancelled by etcd: " + r->cancel_reason);
      }
      return false;
    }
    if (r->created) {
      created = true;
      *progressed = true;
      // From now on: pin "now", so a resumed stream misses nothing.
      if (next_revision_ == 0) next_revision_ = r->header.revision + 1;
    } else if (!r->events.empty()) {
      next_revision_ = r->events.back().kv.mod_revision + 1;
    } else {
      // A progress notification: everything up to header.revision is sent.
      next_revision_ = std::max(next_revision_, r->header.revision + 1);
    }
    handler(*r);
    return !cancelled_.load();
  };

  // The gateway ends every message with a newline; a message may span
  // several chunks and a chunk hold several messages.
  std::string pending;
  auto on_chunk = [&](std::string_view chunk) {
    pending += chunk;
    size_t start = 0;
    bool go_on = true;
    for (size_t nl = pending.find('\n'); go_on && nl != std::string::npos;
         nl = pending.find('\n', start)) {
      std::string_view line(pending.data() + start, nl - start);
      start = nl + 1;
      if (line.find_first_not_of(" \r\t") != std::string_view::npos) go_on = on_message(line);
    }
    pending.erase(0, start);
    return go_on;
  };
  post.SetSink(on_chunk);

  const auto timeout = client_.options().timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<CURLcode> done;
  {
    MultiTransfer transfer(multi_.get(), post.easy());
    while (!cancelled_.load()) {
      int running = 0;
      if (Curl().multi_perform(multi_.get(), &running) != CURLM_OK) std::abort();  // out of memory
      int left = 0;
      while (CURLMsg* m = Curl().multi_info_read(multi_.get(), &left)) {
        if (m->msg == CURLMSG_DONE) done = m->data.result;
      }
      if (done || running == 0) break;
      const auto now = std::chrono::steady_clock::now();
      int wait_ms = kPollMs;
      if (!created) {
        // Until etcd confirms the watch, the call's timeout applies: a
        // member that accepts connections and never answers is left.
        if (now >= deadline) {
          *failure = "no answer in " + std::to_string(timeout.count()) + " ms";
          break;
        }
        const auto left_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
        wait_ms = static_cast<int>(std::min<int64_t>(kPollMs, left_ms));
      }
      Curl().multi_poll(multi_.get(), nullptr, 0, wait_ms, nullptr);
    }
  }
  if (cancelled_.load()) {
    return std::optional<WatchEnd>(
        WatchEnd{.reason = WatchEnd::Reason::kCancelled, .next_revision = next_revision_});
  }
  // A unary error answer (HTTP 4xx) may lack the final newline.
  if (done && failure->empty() && error.ok() && !end && !pending.empty()) on_chunk("\n");
  if (end) return end;
  if (!error.ok()) return error;
  if (failure->empty()) {
    const HttpOutcome outcome = post.Outcome(done.value_or(CURLE_OK));
    *failure = outcome.kind == HttpOutcome::Kind::kDone
                   ? "the stream ended (HTTP " + std::to_string(post.http_status()) + ")"
                   : outcome.cause;
  }
  return std::optional<WatchEnd>();
}

}  // namespace weft::etcd
