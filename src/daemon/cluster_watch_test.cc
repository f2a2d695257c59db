#include "daemon/cluster_watch.h"

#include <gtest/gtest.h>

#include "cluster/endpoints.h"
#include "cluster/keys.h"

namespace weft::daemon {
namespace {

etcd::Event Put(const std::string& key, const std::string& value) {
  etcd::Event e;
  e.kv.key = key;
  e.kv.value = value;
  return e;
}

// The watch leaves out only what this node's commands published itself:
// another node's endpoint, a withdrawal, or any other record is reconciled.
TEST(ClusterWatch, IgnoresOnlyThisNodesOwnEndpointPuts) {
  cluster::EndpointRecord mine{.network = "ov", .container = "a1", .node = "h1"};
  cluster::EndpointRecord theirs = mine;
  theirs.node = "h2";
  const std::string key = cluster::EndpointKey("ov", "a1");
  EXPECT_TRUE(ClusterWatch::OwnEndpointPut(Put(key, cluster::EncodeEndpoint(mine)), "h1"));
  EXPECT_FALSE(ClusterWatch::OwnEndpointPut(Put(key, cluster::EncodeEndpoint(theirs)), "h1"));
  EXPECT_FALSE(ClusterWatch::OwnEndpointPut(Put(key, "not json"), "h1"));
  etcd::Event gone = Put(key, "");
  gone.type = etcd::Event::Type::kDelete;
  EXPECT_FALSE(ClusterWatch::OwnEndpointPut(gone, "h1"));
  EXPECT_FALSE(
      ClusterWatch::OwnEndpointPut(Put("/weft/v1/nodes/h1", cluster::EncodeEndpoint(mine)), "h1"));
}

}  // namespace
}  // namespace weft::daemon
