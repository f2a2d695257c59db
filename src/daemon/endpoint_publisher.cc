#include "daemon/endpoint_publisher.h"

#include <chrono>

namespace weft::daemon {

using namespace std::chrono_literals;

Status EndpointPublisher::Publish(const cluster::EndpointRecord& r) {
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(state_dir_));
  if (!config) return Unavailable("this host is in no cluster");
  if (r.node != config->node) {
    return InvalidArgument("endpoint of node " + r.node + " published on node " + config->node);
  }
  if (!client_ || store_ != config->store) {
    WEFT_ASSIGN_OR_RETURN(client_, etcd::Client::Open(config->store, 3000ms, 1000ms));
    store_ = config->store;
  }
  return cluster::PublishEndpoint(*client_, r, config->lease);
}

}  // namespace weft::daemon
