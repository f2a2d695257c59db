// cnitool for weft's tests: the command-line interface of upstream cnitool
// (github.com/containernetworking/cni, cnitool/cnitool.go at v1.1.2), written
// anew here over Debian 12's libcni.
//
// Why it exists: the CNI acceptance asks for "cnitool add/check/del, for each
// cniVersion", but cnitool is not packaged in Debian 12. The library it is a
// thin wrapper around is: golang-github-appc-cni-dev ships libcni 1.1.2 (the
// same library Debian's podman 4.3 and containerd 1.6 are built with), but no
// cnitool main package. So this is cnitool's interface over that libcni 1.1.2,
// built offline from Debian packages only (tests/e2e/112-cnitool.sh):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=DIR \
//	  go build -o OUT tests/support/cnitool/main.go
//
// Usage, as upstream's:
//
//	cnitool add|check|del NETWORK_NAME NETNS_PATH
//
// Environment, as upstream's:
//
//	NETCONFPATH  directory of *.conflist (then *.conf, *.json) files; default
//	             /etc/cni/net.d. The first list whose "name" is NETWORK_NAME
//	             is used (libcni.LoadConfList).
//	CNI_PATH     ':'-separated plugin directories (also passed to plugins).
//	CNI_IFNAME   interface name; "eth0" when unset (set but empty stays empty).
//	CNI_ARGS     "K=V;K2=V2", passed to plugins; every K and V non-empty.
//	CAP_ARGS     JSON object of capability args (e.g. {"portMappings": [...]}),
//	             injected as runtimeConfig into plugins that declare them.
//
// The container ID is "cnitool-" followed by the hex of the first 10 bytes of
// the SHA-512 of the absolute netns path (20 hex digits), as upstream derives
// it. "add" prints the final result (libcni's re-encoding of it, indented) on
// stdout; any error goes to stderr with exit status 1. libcni keeps its result
// cache under /var/lib/cni (libcni.CacheDir): "check" and "del" send the cached
// result as prevResult (list versions >= 0.4.0), and "del" removes it.
//
// "gc" and "status" (upstream cnitool >= 1.2, over libcni >= 1.2) do not exist
// in libcni 1.1.2: they are refused here with exit status 1. Upstream ignores
// an unknown command and exits 0; this one refuses it with the usage (exit 1),
// so a typo cannot pass for success in a test.
package main

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

const (
	envCNIPath        = "CNI_PATH"
	envNetDir         = "NETCONFPATH"
	envCapabilityArgs = "CAP_ARGS"
	envCNIArgs        = "CNI_ARGS"
	envCNIIfname      = "CNI_IFNAME"

	defaultNetDir = "/etc/cni/net.d"
)

// parseCNIArgs splits "K=V;K2=V2" as upstream cnitool does: every pair must
// split on '=' into exactly a non-empty key and a non-empty value.
func parseCNIArgs(s string) ([][2]string, error) {
	var pairs [][2]string
	for _, pair := range strings.Split(s, ";") {
		kv := strings.Split(pair, "=")
		if len(kv) != 2 || kv[0] == "" || kv[1] == "" {
			return nil, fmt.Errorf("invalid CNI_ARGS pair %q", pair)
		}
		pairs = append(pairs, [2]string{kv[0], kv[1]})
	}
	return pairs, nil
}

func usage() {
	exe := filepath.Base(os.Args[0])
	fmt.Fprintf(os.Stderr, "%s: Add, check, or remove network interfaces from a network namespace\n", exe)
	fmt.Fprintf(os.Stderr, "  %s add   <net> <netns>\n", exe)
	fmt.Fprintf(os.Stderr, "  %s check <net> <netns>\n", exe)
	fmt.Fprintf(os.Stderr, "  %s del   <net> <netns>\n", exe)
	fmt.Fprintf(os.Stderr, "(gc and status need libcni >= 1.2; this is built on libcni 1.1.2)\n")
	os.Exit(1)
}

// exit ends the program as upstream does: nil is success; an error is
// printed on stderr, exit status 1.
func exit(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func main() {
	if len(os.Args) < 4 {
		usage()
	}
	cmd := os.Args[1]
	switch cmd {
	case "add", "check", "del":
	case "gc", "status":
		exit(fmt.Errorf("%s: not supported by libcni 1.1.2 (it has no GC or STATUS; upstream cnitool >= 1.2 has)", cmd))
	default:
		usage()
	}

	netdir := os.Getenv(envNetDir)
	if netdir == "" {
		netdir = defaultNetDir
	}
	netconf, err := libcni.LoadConfList(netdir, os.Args[2])
	if err != nil {
		exit(err)
	}

	var capabilityArgs map[string]interface{}
	if v := os.Getenv(envCapabilityArgs); len(v) > 0 {
		if err := json.Unmarshal([]byte(v), &capabilityArgs); err != nil {
			exit(err)
		}
	}

	var cniArgs [][2]string
	if v := os.Getenv(envCNIArgs); len(v) > 0 {
		if cniArgs, err = parseCNIArgs(v); err != nil {
			exit(err)
		}
	}

	ifName, ok := os.LookupEnv(envCNIIfname)
	if !ok {
		ifName = "eth0"
	}

	netns, err := filepath.Abs(os.Args[3])
	if err != nil {
		exit(err)
	}
	sum := sha512.Sum512([]byte(netns))
	containerID := fmt.Sprintf("cnitool-%x", sum[:10])

	cninet := libcni.NewCNIConfig(filepath.SplitList(os.Getenv(envCNIPath)), nil)
	rt := &libcni.RuntimeConf{
		ContainerID:    containerID,
		NetNS:          netns,
		IfName:         ifName,
		Args:           cniArgs,
		CapabilityArgs: capabilityArgs,
	}

	ctx := context.TODO()
	switch cmd {
	case "add":
		result, err := cninet.AddNetworkList(ctx, netconf, rt)
		if result != nil {
			_ = result.Print()
		}
		exit(err)
	case "check":
		exit(cninet.CheckNetworkList(ctx, netconf, rt))
	case "del":
		exit(cninet.DelNetworkList(ctx, netconf, rt))
	}
}
