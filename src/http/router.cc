#include "http/router.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace lvyuan::http {
namespace {

[[noreturn]] void DieOnBadRoute(const Route& route, const char* why) {
  std::fprintf(stderr, "lvyuan: route %s %s: %s\n",
               std::string(beast_http::to_string(route.method)).c_str(), route.pattern.c_str(),
               why);
  std::abort();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

core::Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return core::InvalidArgument("请求路径编码错误");
    }
    int hi = HexValue(text[i + 1]);
    int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return core::InvalidArgument("请求路径编码错误");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// "api/v1/matters" for {"api", "v1", "matters"}; segments hold no '/'.
std::string JoinSegments(const std::vector<std::string>& segments) {
  std::string joined;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) joined += '/';
    joined += segments[i];
  }
  return joined;
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  auto it = message.find(boost::beast::string_view(name.data(), name.size()));
  if (it == message.end()) return {};
  auto value = it->value();
  return {value.data(), value.size()};
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view Request::PathParam(std::string_view name) const {
  auto it = path_params.find(name);
  if (it == path_params.end()) return {};
  return it->second;
}

core::Result<std::int64_t> Request::PathId(std::string_view name) const {
  std::string_view text = PathParam(name);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0 ||
      text.front() == '+' || (text.size() > 1 && text.front() == '0')) {
    return core::NotFound("资源不存在");
  }
  return id;
}

core::Result<std::vector<std::string>> SplitPath(std::string_view encoded_path) {
  if (encoded_path.empty() || encoded_path.front() != '/') {
    return core::InvalidArgument("请求路径必须以 / 开头");
  }
  std::vector<std::string> segments;
  segments.reserve(
      static_cast<std::size_t>(std::count(encoded_path.begin(), encoded_path.end(), '/')));
  std::size_t start = 1;
  while (start <= encoded_path.size()) {
    std::size_t slash = encoded_path.find('/', start);
    if (slash == std::string_view::npos) slash = encoded_path.size();
    std::string decoded = TRY(PercentDecode(encoded_path.substr(start, slash - start)));
    if (decoded.find('/') != std::string::npos || decoded.find('\0') != std::string::npos) {
      return core::InvalidArgument("请求路径含有不允许的字符");
    }
    segments.push_back(std::move(decoded));
    start = slash + 1;
  }
  // "/" is one empty segment; a trailing slash keeps its empty last segment so
  // "/api/v1/units/" does not match "/api/v1/units".
  if (segments.size() == 1 && segments[0].empty()) segments.clear();
  return segments;
}

void Router::Add(Route route) {
  if (route.pattern.empty() || route.pattern.front() != '/') {
    DieOnBadRoute(route, "pattern must start with '/'");
  }
  int kinds = (route.handler ? 1 : 0) + (route.upload ? 1 : 0) + (route.download ? 1 : 0) +
              (route.stream ? 1 : 0);
  if (kinds != 1) {
    DieOnBadRoute(route, "route needs exactly one of handler, upload, download, stream");
  }
  if (route.stream && route.method != Verb::get) DieOnBadRoute(route, "a stream route is a GET");
  Compiled compiled;
  if (route.pattern != "/") {
    std::size_t start = 1;
    while (start <= route.pattern.size()) {
      std::size_t slash = route.pattern.find('/', start);
      if (slash == std::string::npos) slash = route.pattern.size();
      std::string segment = route.pattern.substr(start, slash - start);
      bool is_param = !segment.empty() && segment.front() == '{';
      if (is_param) {
        if (segment.size() < 3 || segment.back() != '}' ||
            segment.find_first_of("{}", 1) != segment.size() - 1) {
          DieOnBadRoute(route, "malformed {name} segment");
        }
        segment = segment.substr(1, segment.size() - 2);
      } else if (segment.find_first_of("{}") != std::string::npos) {
        DieOnBadRoute(route, "braces inside a literal segment");
      }
      compiled.segments.push_back(std::move(segment));
      compiled.is_param.push_back(is_param);
      start = slash + 1;
    }
  }
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].method == route.method && compiled_[i].is_param == compiled.is_param) {
      bool same = true;
      for (std::size_t s = 0; s < compiled.segments.size() && same; ++s) {
        same = compiled.is_param[s] || compiled.segments[s] == compiled_[i].segments[s];
      }
      if (same) DieOnBadRoute(route, "duplicates an existing route");
    }
  }
  const std::size_t length = compiled.segments.size();
  if (by_length_.size() <= length) by_length_.resize(length + 1);
  by_length_[length].push_back(routes_.size());
  if (std::find(compiled.is_param.begin(), compiled.is_param.end(), true) ==
      compiled.is_param.end()) {
    literal_[JoinSegments(compiled.segments)].push_back(routes_.size());
  }
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(compiled));
}

Router::Match Router::Find(Verb method, const std::vector<std::string>& segments) const {
  // Among the patterns matching the path, the most specific one wins: compare
  // segment by segment, a literal beating a parameter at the first difference.
  const Compiled* best_shape = nullptr;
  // Routes with best_shape's param layout (a handful: one per method).
  boost::container::small_vector<std::size_t, 8> candidates;
  auto more_specific = [](const Compiled& a, const Compiled& b) {
    for (std::size_t i = 0; i < a.is_param.size(); ++i) {
      if (a.is_param[i] != b.is_param[i]) return !a.is_param[i];
    }
    return false;
  };
  auto same_shape = [](const Compiled& a, const Compiled& b) {
    if (a.is_param != b.is_param) return false;
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      if (!a.is_param[i] && a.segments[i] != b.segments[i]) return false;
    }
    return true;
  };
  Match match;
  if (segments.size() >= by_length_.size()) return match;
  const std::vector<std::size_t>* scan = &by_length_[segments.size()];
  if (auto literal = literal_.find(JoinSegments(segments)); literal != literal_.end()) {
    scan = &literal->second;
  }
  for (std::size_t i : *scan) {
    const Compiled& c = compiled_[i];
    bool matches = true;
    for (std::size_t s = 0; s < segments.size() && matches; ++s) {
      matches = c.is_param[s] ? !segments[s].empty() : c.segments[s] == segments[s];
    }
    if (!matches) continue;
    if (best_shape == nullptr || more_specific(c, *best_shape)) {
      best_shape = &c;
      candidates.assign(1, i);
    } else if (same_shape(c, *best_shape)) {
      candidates.push_back(i);
    }
  }
  if (best_shape == nullptr) return match;
  const Route* found = nullptr;
  const Route* get_route = nullptr;
  for (std::size_t i : candidates) {
    if (routes_[i].method == method) found = &routes_[i];
    if (routes_[i].method == Verb::get) get_route = &routes_[i];
  }
  if (found == nullptr && method == Verb::head) found = get_route;
  if (found == nullptr) {
    match.kind = MatchKind::kMethodNotAllowed;
    for (std::size_t i : candidates) match.allowed.push_back(routes_[i].method);
    if (get_route != nullptr &&
        std::find(match.allowed.begin(), match.allowed.end(), Verb::head) == match.allowed.end()) {
      match.allowed.push_back(Verb::head);
    }
    return match;
  }
  match.kind = MatchKind::kFound;
  match.route = found;
  const Compiled& c = compiled_[static_cast<std::size_t>(found - routes_.data())];
  for (std::size_t s = 0; s < segments.size(); ++s) {
    if (c.is_param[s]) match.params.emplace(c.segments[s], segments[s]);
  }
  return match;
}

}  // namespace lvyuan::http
