// What the matter black-box tests share: signing in a demo user and
// uploading a small photo as evidence to attach to a matter.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "harness.h"

namespace lvyuan::http_test {

// A client signed in as the demo user; throws when the login fails.
inline std::unique_ptr<Client> SignInDemoUser(unsigned short port, std::string_view username) {
  auto client = std::make_unique<Client>(port);
  Reply reply = client->Login(username, kDemoPassword);
  if (reply.status != 200) throw std::runtime_error(std::string(username) + ": " + reply.body);
  return client;
}

// Uploads a 64-byte PNG taken on site; returns its evidence id.
inline std::int64_t UploadPhoto(Client& client) {
  boost::json::object open{{"filename", "排污口.png"},
                           {"size", 64},
                           {"source", "on_site_capture"},
                           {"captured_at", "2026-01-15T02:30:00Z"},
                           {"captured_by", "杨执法"}};
  Reply opened = client.Post("/api/v1/uploads", open);
  if (opened.status != 201) throw std::runtime_error("open upload: " + opened.body);
  std::string png = "\x89PNG\r\n\x1a\n";
  while (png.size() < 64) png.push_back(static_cast<char>('a' + png.size() % 26));
  Reply put = client.Send("PUT", "/api/v1/uploads/" + AsString(opened.json().at("id")), png,
                          "application/octet-stream");
  if (put.status != 201) throw std::runtime_error("upload: " + put.body);
  return AsInt(put.json().at("id"));
}

}  // namespace lvyuan::http_test
