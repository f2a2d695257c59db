#include "daemon/http.h"

#include <gtest/gtest.h>

#include <string>

namespace weft::daemon::http {
namespace {

const std::string kActivate =
    "POST /Plugin.Activate HTTP/1.1\r\nHost: plugin\r\n"
    "Accept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: 0\r\n\r\n";

TEST(HttpParser, ParsesARequestWithoutBody) {
  Parser p;
  EXPECT_EQ(p.Feed(kActivate), kActivate.size());
  ASSERT_EQ(p.state(), Parser::State::kDone);
  EXPECT_EQ(p.request().method, "POST");
  EXPECT_EQ(p.request().target, "/Plugin.Activate");
  EXPECT_EQ(p.request().headers.at("accept"), "application/vnd.docker.plugins.v1.2+json");
  EXPECT_EQ(p.request().body, "");
  EXPECT_TRUE(p.request().keep_alive);
}

TEST(HttpParser, BodyByContentLengthInPiecesAndKeepsTheRest) {
  std::string body = "{\"NetworkID\":\"ab\"}\n";
  std::string req = "POST /NetworkDriver.DeleteNetwork HTTP/1.1\r\nContent-length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string two = req + kActivate;
  const std::string_view stream = two;
  Parser p;
  size_t used = 0;
  // One byte at a time, as a slow client sends it.
  while (p.state() == Parser::State::kNeedMore) used += p.Feed(stream.substr(used, 1));
  ASSERT_EQ(p.state(), Parser::State::kDone);
  EXPECT_EQ(used, req.size());
  EXPECT_EQ(p.request().body, body);
  p.Reset();
  EXPECT_EQ(p.Feed(stream.substr(used)), kActivate.size());
  ASSERT_EQ(p.state(), Parser::State::kDone);
  EXPECT_EQ(p.request().target, "/Plugin.Activate");
}

TEST(HttpParser, ConnectionClose) {
  Parser p;
  p.Feed("POST / HTTP/1.1\r\nConnection: Close\r\n\r\n");
  ASSERT_EQ(p.state(), Parser::State::kDone);
  EXPECT_FALSE(p.request().keep_alive);
  p.Reset();
  p.Feed("POST / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(p.state(), Parser::State::kDone);
  EXPECT_FALSE(p.request().keep_alive);
  p.Reset();
  p.Feed("POST / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(p.request().keep_alive);
}

struct Bad {
  std::string text;
  int status;
};

class HttpParserRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(HttpParserRejects, WithStatus) {
  Parser p;
  p.Feed(GetParam().text);
  ASSERT_EQ(p.state(), Parser::State::kError) << GetParam().text;
  EXPECT_EQ(p.error_status(), GetParam().status) << p.error();
  // Stays failed.
  p.Feed(kActivate);
  EXPECT_EQ(p.state(), Parser::State::kError);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HttpParserRejects,
    ::testing::Values(
        Bad{"POST /x\r\n\r\n", 400}, Bad{"POST  /x HTTP/1.1\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1 extra\r\n\r\n", 400}, Bad{"POST x HTTP/1.1\r\n\r\n", 400},
        Bad{"PO(ST /x HTTP/1.1\r\n\r\n", 400}, Bad{"POST /x HTTP/2.0\r\n\r\n", 505},
        Bad{"POST /x FTP/1.1\r\n\r\n", 400}, Bad{"POST /x HTTP/1.1\r\nNoColon\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\nBad Name: v\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\n folded: v\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\nX: a\x01"
            "b\r\n\r\n",
            400},
        Bad{"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
        Bad{"POST /x HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413},
        Bad{"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501}));

TEST(HttpParser, BoundsTheHead) {
  Parser p;
  std::string big = "POST /x HTTP/1.1\r\nX: " + std::string(kMaxHeaderBytes, 'a');
  p.Feed(big);
  ASSERT_EQ(p.state(), Parser::State::kError);
  EXPECT_EQ(p.error_status(), 431);
  p.Reset();
  std::string many = "POST /x HTTP/1.1\r\n";
  for (size_t i = 0; i <= kMaxHeaders; ++i) many += "X" + std::to_string(i) + ": v\r\n";
  p.Feed(many + "\r\n");
  ASSERT_EQ(p.state(), Parser::State::kError);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(HttpParser, LargestBodyIsAccepted) {
  Parser p;
  std::string req = "POST /x HTTP/1.1\r\nContent-Length: " + std::to_string(kMaxBodyBytes) +
                    "\r\n\r\n" + std::string(kMaxBodyBytes, '{');
  EXPECT_EQ(p.Feed(req), req.size());
  EXPECT_EQ(p.state(), Parser::State::kDone);
}

TEST(HttpResponse, Format) {
  EXPECT_EQ(Response(200, "application/json", "{}", true),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(Response(404, "t", "", false),
            "HTTP/1.1 404 Not Found\r\nContent-Type: t\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
}

}  // namespace
}  // namespace weft::daemon::http
