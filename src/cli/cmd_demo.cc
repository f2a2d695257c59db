// weft demo: the seed's walkthrough, run for real in a throwaway sandbox.
// Every step prints what it does, the command it runs, and what it proves;
// the exit status is 0 only if every proof held.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/ip.h"
#include "cli/command.h"
#include "cli/demo_probe.h"
#include "core/ns_view.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/netns/netns.h"

namespace weft::cli {
namespace {

constexpr const char* kUplinkHost = "198.51.100.1";
constexpr const char* kUplinkOutside = "198.51.100.2";
// Where section 7 draws the topology (in the directory the demo runs in).
constexpr const char* kPicture = "weft-demo-topology.svg";

// Enters new network, mount and PID namespaces with a private /run, then
// re-runs `weft demo --in-sandbox` as PID 1 there. Everything the demo makes
// dies with that process; the machine's own network is never touched.
int RunSandboxed() {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) != 0) {
    std::perror("weft: error: cannot create the demo sandbox (run as root)");
    return 1;
  }
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("weft-demo", "/run", "tmpfs", 0, "mode=0755") != 0 ||
        ::mount("proc", "/proc", "proc", 0, nullptr) != 0) {
      std::perror("weft: error: demo sandbox mounts");
      ::_exit(1);
    }
    ::setenv("WEFT_STATE_DIR", "/run/weft", 1);
    ::setenv("WEFT_NETNS_DIR", "/run/netns", 1);
    char self[] = "/proc/self/exe";
    char demo[] = "demo";
    char flag[] = "--in-sandbox";
    char* argv[] = {self, demo, flag, nullptr};
    ::execv(self, argv);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

class Demo {
 public:
  int Run() {
    Intro();
    Section("1. The host's namespace",
            "Every Linux machine starts with one network namespace. This sandbox plays the host:\n"
            "it has lo and an uplink to an \"outside\" network (another namespace we make), and\n"
            "a default route through it.");
    Check("set up the outside world", SetUpOutside());
    Weft({"ns", "inspect", "host"});

    Section("2. A new namespace: the \"before\" picture",
            "A new network namespace is deliberately minimal: only a loopback interface, down,\n"
            "and an empty routing table. A process in it can talk to nobody.");
    Weft({"ns", "add", "empty"});
    Weft({"ns", "inspect", "empty"});
    Check("a new namespace holds only lo and no routes", ProveEmpty("empty"));
    Weft({"ns", "rm", "empty"});

    Section("3. A bridge network and two containers: the \"after\" picture",
            "A network is a Linux bridge on the host with the gateway address. Each container is\n"
            "a namespace joined to the bridge by a veth pair: one end is the container's eth0,\n"
            "the other is plugged into the bridge. Here is the plan, as the commands you would\n"
            "type by hand, then the real thing.");
    Weft({"network", "create", "demo", "--dry-run"});
    Weft({"network", "create", "demo"});
    Weft({"create", "c1", "--network", "demo"});
    Weft({"create", "c2", "--network", "demo"});
    Weft({"ps"});
    Weft({"ns", "inspect", "c1"});
    Check("c1 has lo and eth0 with an address, and a default route via the gateway",
          ProveAttached("c1"));

    Section("4. Containers talk through the bridge",
            "c1 listens on TCP port 8080; c2 connects to c1's address and sends a message,\n"
            "which c1 echoes back.");
    Check("TCP data crossed c2 -> c1 -> c2", ProveTcp());

    Section("5. Containers find each other by name",
            "weftd, weft's daemon, answers DNS on the gateway for the network's containers\n"
            "(weft started it with the network). Each container's resolv.conf points there.");
    Weft({"exec", "c2", "--", "cat", "/etc/resolv.conf"});
    Check("c2 resolved the name c1 to c1's address, through its resolv.conf", ProveDns());

    Section("6. Out to the world through NAT",
            "A server in the outside namespace listens on " + std::string(kUplinkOutside) +
                ":80. The outside knows no route\n"
                "to the container subnet; it can answer only because the host masquerades the\n"
                "container's traffic behind its own uplink address.");
    Check("c1 reached the outside server, which saw the host's address " + std::string(kUplinkHost),
          ProveNat());

    Section("7. Seeing it: the topology and one packet's path",
            "weft graph draws what the kernel and the store hold together (anything out of step\n"
            "in red). weft trace sends one real probe and follows it with the kernel's own\n"
            "tracing: routes, the bridge, each of weft's rules it meets, the NAT. A second\n"
            "network, with c3 on it, shows a path that is blocked.");
    Weft({"network", "create", "other"});
    Weft({"create", "c3", "--network", "other"});
    Weft({"graph", "-o", kPicture});
    Check("c1 -> the outside is masqueraded and stops at the uplink (nothing is sent out)",
          ProveTrace({"trace", "c1", std::string(kUplinkOutside) + ":80"},
                     std::string("leaves the machine by uplink0 as ") + kUplinkHost));
    Check(
        "c1 -> c3 is dropped by the rule that isolates the two networks",
        ProveTrace({"trace", "c1", "c3:80"}, "dropped: isolation between networks demo and other"));

    Section("8. Clean-up",
            "Removing the containers and the networks deletes every veth, bridge,\n"
            "address and rule weft made.");
    Weft({"rm", "c1", "c2", "c3"});
    Weft({"network", "rm", "demo"});
    Weft({"network", "rm", "other"});
    Check("no veth or bridge is left on the host", ProveClean());

    std::printf("\n%s: %d of %d proofs held.\n", failures_ == 0 ? "PASS" : "FAIL",
                proofs_ - failures_, proofs_);
    return failures_ == 0 ? 0 : 1;
  }

 private:
  void Intro() {
    std::printf(
        "weft demo: container networking from scratch, on the kernel's own primitives.\n"
        "Everything below runs in a throwaway sandbox (its own network, mount and PID\n"
        "namespaces); nothing touches this machine's real network.\n");
  }

  void Section(const std::string& title, const std::string& text) {
    std::printf("\n== %s ==\n%s\n", title.c_str(), text.c_str());
  }

  // Runs `weft ARGS...` as a child, showing the command line first.
  void Weft(const std::vector<std::string>& args) {
    std::string line = "weft";
    for (const auto& a : args) line += " " + a;
    std::printf("\n$ %s\n", line.c_str());
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> argv;
      std::string self = "/proc/self/exe";
      argv.push_back(self.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(self.c_str(), argv.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      Check("`" + line + "` succeeded",
            Internal("exit status " + std::to_string(WEXITSTATUS(status))));
    }
  }

  void Check(const std::string& what, const Status& s) {
    ++proofs_;
    if (s.ok()) {
      std::printf("  proof: %s ... ok\n", what.c_str());
    } else {
      ++failures_;
      std::printf("  proof: %s ... FAILED: %s\n", what.c_str(), s.message().c_str());
    }
    std::fflush(stdout);
  }

  Result<core::NsView> View(const std::string& name) {
    WEFT_ASSIGN_OR_RETURN(auto fd, netns::OpenByName(netns_dir_, name));
    return core::InspectNetns(fd.get(), name);
  }

  Status SetUpOutside() {
    std::printf(
        "  (setting up, as: ip netns add outside; ip link add uplink0 type veth peer name eth0\n"
        "   netns outside; ip addr add %s/24 dev uplink0; ip -n outside addr add %s/24 dev\n"
        "   eth0; both up; ip route add default via %s)\n",
        kUplinkHost, kUplinkOutside, kUplinkOutside);
    WEFT_RETURN_IF_ERROR(netns::CreateNamed(netns_dir_, "outside"));
    WEFT_ASSIGN_OR_RETURN(outside_, netns::OpenByName(netns_dir_, "outside"));
    WEFT_ASSIGN_OR_RETURN(auto host, netlink::Socket::Open());
    WEFT_ASSIGN_OR_RETURN(auto out, netlink::Socket::OpenIn(outside_.get()));
    WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(host, "lo", true));
    netlink::VethSpec v;
    v.name = "uplink0";
    v.peer_name = "eth0";
    v.peer_netns_fd = outside_.get();
    v.up = true;
    WEFT_RETURN_IF_ERROR(netlink::CreateVeth(host, v));
    WEFT_RETURN_IF_ERROR(netlink::AddAddress(
        host, "uplink0", *IpPrefix::ParseInterface(std::string(kUplinkHost) + "/24")));
    WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(out, "lo", true));
    WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(out, "eth0", true));
    WEFT_RETURN_IF_ERROR(netlink::AddAddress(
        out, "eth0", *IpPrefix::ParseInterface(std::string(kUplinkOutside) + "/24")));
    return netlink::AddRoute(host,
                             {AF_INET, std::nullopt, *IpAddress::Parse(kUplinkOutside), "uplink0"});
  }

  Status ProveEmpty(const std::string& name) {
    WEFT_ASSIGN_OR_RETURN(auto v, View(name));
    if (v.interfaces.size() != 1 || v.interfaces[0].name != "lo") {
      return Internal("expected only lo, found " + std::to_string(v.interfaces.size()) +
                      " interfaces");
    }
    if (v.interfaces[0].state != "down") return Internal("lo is up");
    if (!v.routes.empty()) return Internal("expected no routes");
    return Status::Ok();
  }

  Result<std::string> AddressOf(const std::string& name) {
    WEFT_ASSIGN_OR_RETURN(auto v, View(name));
    for (const auto& i : v.interfaces) {
      if (i.name == "eth0" && !i.addresses.empty()) {
        return AddressOfText(i.addresses[0]);
      }
    }
    return NotFound(name + " has no address on eth0");
  }

  Status ProveAttached(const std::string& name) {
    WEFT_ASSIGN_OR_RETURN(auto v, View(name));
    bool lo = false, eth0 = false, def = false;
    for (const auto& i : v.interfaces) {
      lo |= i.name == "lo" && i.state == "up";
      eth0 |= i.name == "eth0" && i.state == "up" && !i.addresses.empty();
    }
    for (const auto& r : v.routes)
      def |= r.dst == "default" && r.dev == "eth0" && !r.gateway.empty();
    if (!lo || !eth0 || !def) return Internal("lo up, eth0 addressed and default route expected");
    return Status::Ok();
  }

  Status ProveTcp() {
    WEFT_ASSIGN_OR_RETURN(std::string ip1, AddressOf("c1"));
    WEFT_ASSIGN_OR_RETURN(std::string ip2, AddressOf("c2"));
    WEFT_ASSIGN_OR_RETURN(auto c1, netns::OpenByName(netns_dir_, "c1"));
    WEFT_ASSIGN_OR_RETURN(auto c2, netns::OpenByName(netns_dir_, "c2"));
    const std::string msg = "hello from c2";
    WEFT_ASSIGN_OR_RETURN(auto r, TcpProbe(c1.get(), ip1, 8080, c2.get(), ip1, msg));
    std::printf("  c1 (%s:8080) received \"%s\" from %s; c2 got the echo \"%s\"\n", ip1.c_str(),
                r.received.c_str(), r.peer.c_str(), r.reply.c_str());
    if (r.received != msg || r.reply != msg) return Internal("payload mismatch");
    if (r.peer != ip2) return Internal("c1 saw " + r.peer + ", not c2's " + ip2);
    return Status::Ok();
  }

  // Runs `weft ARGS...` as a child and returns what it printed on stdout,
  // or an error naming its exit status.
  Result<std::string> Capture(std::vector<std::string> args) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return StatusFromErrno("pipe", errno);
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(p[1], 1);
      std::string self = "/proc/self/exe";
      std::vector<char*> argv = {self.data()};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(self.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(p[1]);
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return Internal("weft " + args[0] + " exited with status " +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128));
    }
    return out;
  }

  // Runs `weft exec c2 -- getent ahostsv4 c1` and checks that the answer
  // is c1's address: glibc, the container's resolv.conf and weftd at work.
  Status ProveDns() {
    WEFT_ASSIGN_OR_RETURN(std::string ip1, AddressOf("c1"));
    auto out = Capture({"exec", "c2", "--", "getent", "ahostsv4", "c1"});
    if (!out.ok()) return Internal("getent found nothing");
    std::string first = out->substr(0, out->find('\n'));
    std::printf("  getent ahostsv4 c1 (in c2): %s\n", first.c_str());
    if (out->rfind(ip1 + " ", 0) != 0) return Internal("answer was not c1's address " + ip1);
    return Status::Ok();
  }

  // Shows `weft trace ...` and checks its verdict (the last line).
  Status ProveTrace(const std::vector<std::string>& args, const std::string& want) {
    std::string line = "weft";
    for (const auto& a : args) line += " " + a;
    std::printf("\n$ %s\n", line.c_str());
    WEFT_ASSIGN_OR_RETURN(std::string out, Capture(args));
    std::printf("%s", out.c_str());
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::string verdict = out.substr(out.rfind('\n') + 1);
    if (verdict.rfind(want, 0) != 0) return Internal("the trace said: " + verdict);
    return Status::Ok();
  }

  Status ProveNat() {
    WEFT_ASSIGN_OR_RETURN(auto c1, netns::OpenByName(netns_dir_, "c1"));
    const std::string msg = "hello outside";
    WEFT_ASSIGN_OR_RETURN(
        auto r, TcpProbe(outside_.get(), kUplinkOutside, 80, c1.get(), kUplinkOutside, msg));
    std::printf("  the outside server received \"%s\" from %s\n", r.received.c_str(),
                r.peer.c_str());
    if (r.received != msg) return Internal("payload mismatch");
    if (r.peer != kUplinkHost) return Internal("source was " + r.peer + ", not the host's uplink");
    return Status::Ok();
  }

  Status ProveClean() {
    WEFT_ASSIGN_OR_RETURN(auto host, netlink::Socket::Open());
    WEFT_ASSIGN_OR_RETURN(auto links, netlink::ListLinks(host));
    for (const auto& l : links) {
      if (l.name != "lo" && l.name != "uplink0") return Internal("left behind: " + l.name);
    }
    return Status::Ok();
  }

  std::string netns_dir_ = "/run/netns";
  UniqueFd outside_;
  int proofs_ = 0;
  int failures_ = 0;
};

}  // namespace

void AddDemoCommand(CLI::App& app, Invocation& inv) {
  auto in_sandbox = std::make_shared<bool>(false);
  CLI::App* demo = app.add_subcommand(
      "demo", "Walk through container networking, for real, in a throwaway sandbox");
  demo->add_flag("--in-sandbox", *in_sandbox, "(internal) already inside the sandbox")->group("");
  demo->callback([&inv, in_sandbox] {
    inv.action = [in_sandbox](core::Context& ctx) -> Status {
      int code = 0;
      if (*in_sandbox) {
        (void)ctx;
        code = Demo().Run();
      } else {
        code = RunSandboxed();
      }
      std::fflush(stdout);
      if (code != 0) return Internal("the demo failed");
      return Status::Ok();
    };
  });
}

}  // namespace weft::cli
