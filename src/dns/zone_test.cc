#include "dns/zone.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/wire.h"

namespace weft::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::shared_ptr<const Zone> TestZone() {
  std::vector<Endpoint> eps = {
      {"web1", "front", {"web1", "web"}, "10.0.0.2", "fd00::2"},
      {"web2", "front", {"web2", "web"}, "10.0.0.3", ""},
      {"web3", "front", {"web3", "web"}, "10.0.0.4", ""},
      {"DB", "back", {"DB", "Store"}, "10.1.0.2", ""},
      {"api", "front", {"api"}, "10.0.0.5", ""},
      {"api", "back", {"api"}, "10.1.0.5", ""},
      {"v6only", "front", {"v6only"}, "", "fd00::9"},
  };
  auto z = Zone::Build(eps);
  EXPECT_TRUE(z.ok()) << z.status().ToString();
  return *z;
}

TEST(ZoneTest, ContainerName) {
  auto z = TestZone();
  LookupResult r = z->Lookup("web1", kTypeA, {"front"});
  EXPECT_TRUE(r.found_name);
  EXPECT_THAT(r.addresses, ElementsAre("10.0.0.2"));
  EXPECT_THAT(z->Lookup("web1", kTypeAaaa, {"front"}).addresses, ElementsAre("fd00::2"));
}

TEST(ZoneTest, AliasSharedByThreeReturnsAll) {
  auto z = TestZone();
  LookupResult r = z->Lookup("web", kTypeA, {"front"});
  EXPECT_TRUE(r.found_name);
  EXPECT_THAT(r.addresses, UnorderedElementsAre("10.0.0.2", "10.0.0.3", "10.0.0.4"));
}

TEST(ZoneTest, QualifiedByNetwork) {
  auto z = TestZone();
  EXPECT_THAT(z->Lookup("web2.front", kTypeA, {"front"}).addresses, ElementsAre("10.0.0.3"));
  EXPECT_THAT(z->Lookup("store.back", kTypeA, {"back"}).addresses, ElementsAre("10.1.0.2"));
  EXPECT_THAT(z->Lookup("web.front", kTypeA, {"front"}).addresses, testing::SizeIs(3));
  // The network must be in scope even when qualified.
  EXPECT_FALSE(z->Lookup("store.back", kTypeA, {"front"}).found_name);
  EXPECT_FALSE(z->Lookup("web1.back", kTypeA, {"back", "front"}).found_name);
}

TEST(ZoneTest, ScopedByNetwork) {
  auto z = TestZone();
  EXPECT_FALSE(z->Lookup("db", kTypeA, {"front"}).found_name);
  EXPECT_TRUE(z->Lookup("db", kTypeA, {"back"}).found_name);
  EXPECT_FALSE(z->Lookup("web", kTypeA, {}).found_name);
  // A client on both networks sees both names.
  EXPECT_TRUE(z->Lookup("db", kTypeA, {"front", "back"}).found_name);
  EXPECT_TRUE(z->Lookup("web", kTypeA, {"front", "back"}).found_name);
}

TEST(ZoneTest, WeftNamesOutOfScopeAreLocal) {
  auto z = TestZone();
  std::vector<uint32_t> storage;
  Zone::Scope front = z->ScopeOf({"front"}, &storage);
  Zone::Answer a;
  z->Find("db", kTypeA, front, &a);  // on back only
  EXPECT_FALSE(a.found_name);
  EXPECT_TRUE(a.local);
  z->Find("nosuch.back", kTypeA, front, &a);  // under a network's name
  EXPECT_FALSE(a.found_name);
  EXPECT_TRUE(a.local);
  z->Find("2.0.1.10.in-addr.arpa", kTypePtr, front, &a);  // db's address
  EXPECT_FALSE(a.found_name);
  EXPECT_TRUE(a.local);
  z->Find("back", kTypeA, front, &a);  // a network's own name
  EXPECT_TRUE(a.local);
  z->Find("example.org", kTypeA, front, &a);  // the world's: forwarded
  EXPECT_FALSE(a.local);
  z->Find("web1", kTypeA, front, &a);
  EXPECT_TRUE(a.found_name);
  EXPECT_TRUE(a.local);
}

TEST(ZoneTest, ArrivalNetworkWinsForNamesOnSeveralNetworks) {
  auto z = TestZone();
  auto client = IpAddress::Parse("10.9.9.9");  // unknown client: arrival network only
  Zone::Answer a;
  z->Find("api", kTypeA, z->ScopeFor("back", *client), &a);
  ASSERT_EQ(a.addresses.size(), 1u);
  EXPECT_EQ(a.addresses[0].ToString(), "10.1.0.5");
  z->Find("api", kTypeA, z->ScopeFor("front", *client), &a);
  ASSERT_EQ(a.addresses.size(), 1u);
  EXPECT_EQ(a.addresses[0].ToString(), "10.0.0.5");
  // Without an arrival network, every in-scope network's addresses.
  EXPECT_THAT(z->Lookup("api", kTypeA, {"front", "back"}).addresses,
              UnorderedElementsAre("10.0.0.5", "10.1.0.5"));
}

TEST(ZoneTest, ScopeForUsesClientAddress) {
  auto z = TestZone();
  // api is on front and back; querying front's server, it sees back's names.
  Zone::Answer a;
  z->Find("db", kTypeA, z->ScopeFor("front", *IpAddress::Parse("10.0.0.5")), &a);
  EXPECT_TRUE(a.found_name);
  z->Find("db", kTypeA, z->ScopeFor("front", *IpAddress::Parse("10.0.0.2")), &a);
  EXPECT_FALSE(a.found_name);
  z->Find("web", kTypeA, z->ScopeFor("", *IpAddress::Parse("10.0.0.2")), &a);
  EXPECT_EQ(a.addresses.size(), 3u);
}

TEST(ZoneTest, NetworksOfClient) {
  auto z = TestZone();
  // api is attached to front and back: either address gives both.
  EXPECT_THAT(z->NetworksOfClient("10.0.0.5"), ElementsAre("back", "front"));
  EXPECT_THAT(z->NetworksOfClient("10.1.0.5"), ElementsAre("back", "front"));
  EXPECT_THAT(z->NetworksOfClient("10.0.0.3"), ElementsAre("front"));
  EXPECT_THAT(z->NetworksOfClient("fd00::2"), ElementsAre("front"));
  EXPECT_THAT(z->NetworksOfClient("10.9.9.9"), IsEmpty());
  EXPECT_THAT(z->NetworksOfClient("bogus"), IsEmpty());

  // A container with one address on two networks is in both.
  auto z2 = Zone::Build({{"c", "a", {"c"}, "10.5.0.2", ""}, {"c", "b", {"c"}, "10.5.0.2", ""}});
  ASSERT_TRUE(z2.ok());
  EXPECT_THAT((*z2)->NetworksOfClient("10.5.0.2"), ElementsAre("a", "b"));
}

TEST(ZoneTest, PtrV4AndV6) {
  auto z = TestZone();
  LookupResult r = z->Lookup("2.0.0.10.in-addr.arpa", kTypePtr, {"front"});
  EXPECT_TRUE(r.found_name);
  EXPECT_EQ(r.ptr_target, "web1.front");
  r = z->Lookup("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
                kTypePtr, {"front"});
  EXPECT_EQ(r.ptr_target, "web1.front");
  // Out of scope, and unknown addresses.
  EXPECT_FALSE(z->Lookup("2.0.1.10.in-addr.arpa", kTypePtr, {"front"}).found_name);
  EXPECT_FALSE(z->Lookup("99.0.0.10.in-addr.arpa", kTypePtr, {"front"}).found_name);
  // Another type on a reverse name: NODATA.
  r = z->Lookup("2.0.0.10.in-addr.arpa", kTypeA, {"front"});
  EXPECT_TRUE(r.found_name);
  EXPECT_TRUE(r.ptr_target.empty());
}

TEST(ZoneTest, CaseInsensitive) {
  auto z = TestZone();
  // Build folds case: "DB"/"Store" are served as lowercase.
  EXPECT_THAT(z->Lookup("db", kTypeA, {"back"}).addresses, ElementsAre("10.1.0.2"));
  EXPECT_THAT(z->Lookup("store", kTypeA, {"BACK"}).addresses, ElementsAre("10.1.0.2"));
  auto z2 = Zone::Build({{"Web", "Front", {"Web"}, "10.0.0.2", ""}});
  ASSERT_TRUE(z2.ok());
  EXPECT_TRUE((*z2)->Lookup("web.front", kTypeA, {"front"}).found_name);
  EXPECT_TRUE((*z2)->Lookup("web", kTypeA, {"Front"}).found_name);
  // PTR targets keep the original spelling.
  EXPECT_EQ((*z2)->Lookup("2.0.0.10.in-addr.arpa", kTypePtr, {"front"}).ptr_target, "Web.Front");
}

TEST(ZoneTest, NxDomainVersusNoData) {
  auto z = TestZone();
  LookupResult nx = z->Lookup("nosuch", kTypeA, {"front"});
  EXPECT_FALSE(nx.found_name);
  LookupResult nodata = z->Lookup("web2", kTypeAaaa, {"front"});
  EXPECT_TRUE(nodata.found_name);
  EXPECT_THAT(nodata.addresses, IsEmpty());
  EXPECT_TRUE(z->Lookup("v6only", kTypeA, {"front"}).found_name);
  EXPECT_THAT(z->Lookup("v6only", kTypeA, {"front"}).addresses, IsEmpty());
  // Other types on a known name: NODATA.
  EXPECT_TRUE(z->Lookup("web1", kTypeMx, {"front"}).found_name);
}

TEST(ZoneTest, BuildRejectsBadInput) {
  EXPECT_FALSE(Zone::Build({{"c", "n", {"c"}, "10.0.0.300", ""}}).ok());
  EXPECT_FALSE(Zone::Build({{"c", "n", {"c"}, "fd00::1", ""}}).ok());  // v6 in ipv4 field
  EXPECT_FALSE(Zone::Build({{"c", "n", {"c"}, "", "10.0.0.1"}}).ok());
  EXPECT_FALSE(Zone::Build({{"c", "", {"c"}, "10.0.0.1", ""}}).ok());
  EXPECT_FALSE(Zone::Build({{"", "n", {}, "10.0.0.1", ""}}).ok());
  // No names: the container name is used.
  auto z = Zone::Build({{"solo", "n", {}, "10.0.0.1", ""}});
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE((*z)->Lookup("solo", kTypeA, {"n"}).found_name);
}

TEST(ZoneTest, EmptyZone) {
  auto z = Zone::Build({});
  ASSERT_TRUE(z.ok());
  EXPECT_FALSE((*z)->Lookup("web", kTypeA, {"front"}).found_name);
  EXPECT_EQ((*z)->name_count(), 0u);
}

}  // namespace
}  // namespace weft::dns
