#include "app/witness_cli.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <exception>
#include <fstream>
#include <ostream>
#include <sstream>

#include "core/clock.h"
#include "core/encoding.h"
#include "crypto/sign.h"
#include "record/log.h"
#include "record/witness.h"

namespace lvyuan::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using core::Result;

// The largest answer the witness reads: a checkpoint or a proof of a few
// dozen hashes is a few kilobytes.
constexpr std::uint64_t kMaxResponseBytes = 1 << 20;

struct Endpoint {
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix" (a deployment behind a path)
};

Result<Endpoint> ParseUrl(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty() || parsed->has_query() ||
      parsed->has_fragment()) {
    return core::InvalidArgument("--url 应为 http://HOST:PORT", "--url");
  }
  Endpoint e;
  e.host = std::string(parsed->encoded_host());
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);  // an IPv6 literal
  }
  e.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  e.base_path = std::string(parsed->encoded_path());
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  return e;
}

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

// A synchronous HTTP/1.1 exchange on a fresh connection, every step under
// `timeout` (asio's timers drive the deadlines; the calls block the caller).
class HttpClient {
 public:
  HttpClient(Endpoint endpoint, std::chrono::seconds timeout)
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  Result<HttpAnswer> Send(bhttp::verb method, const std::string& target, std::string body) {
    asio::io_context ioc;
    HttpAnswer answer;
    std::exception_ptr failure;
    bhttp::request<bhttp::string_body> request{method, endpoint_.base_path + target, 11};
    request.set(bhttp::field::host, endpoint_.host + ":" + endpoint_.port);
    request.set(bhttp::field::user_agent, "lvyuan-witness");
    request.set(bhttp::field::accept, "application/json");
    request.set(bhttp::field::connection, "close");
    if (method != bhttp::verb::get) {
      request.set(bhttp::field::content_type, "application/json");
      request.body() = std::move(body);
    }
    request.prepare_payload();
    asio::co_spawn(ioc, Exchange(request, answer), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const boost::system::system_error& e) {
        return Unreachable(e.code().message());
      } catch (const std::exception& e) {
        return Unreachable(e.what());
      }
    }
    return answer;
  }

 private:
  core::Error Unreachable(const std::string& why) const {
    return core::Unavailable("无法连接部署 " + endpoint_.host + ":" + endpoint_.port + "（" + why +
                             "）cannot reach the deployment");
  }

  asio::awaitable<void> Exchange(bhttp::request<bhttp::string_body>& request, HttpAnswer& answer) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    beast::tcp_stream stream(executor);
    auto endpoints =
        co_await resolver.async_resolve(endpoint_.host, endpoint_.port, asio::use_awaitable);
    stream.expires_after(timeout_);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    stream.expires_after(timeout_);
    co_await bhttp::async_write(stream, request, asio::use_awaitable);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    stream.expires_after(timeout_);
    co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
    answer.status = parser.get().result_int();
    answer.body = std::move(parser.get().body());
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }

  Endpoint endpoint_;
  std::chrono::seconds timeout_;
};

// The error an unexpected answer stands for, with the server's message.
core::Error AnswerError(const std::string& what, const HttpAnswer& a) {
  std::string message;
  boost::system::error_code ec;
  json::value v = json::parse(a.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* error = v.get_object().if_contains("error"); error && error->is_object()) {
      if (const auto* m = error->get_object().if_contains("message"); m && m->is_string()) {
        message = std::string(m->get_string());
      }
    }
  }
  std::string text = what + "：部署答复 HTTP " + std::to_string(a.status);
  if (!message.empty()) text += "（" + message + "）";
  text += " (the deployment answered HTTP " + std::to_string(a.status) + ")";
  if (a.status == 409) return core::AlreadyExists(text);
  return core::Unavailable(text);
}

Result<json::object> JsonOf(const std::string& what, const HttpAnswer& a) {
  boost::system::error_code ec;
  json::value v = json::parse(a.body, ec);
  if (ec || !v.is_object()) {
    return core::Unavailable(what + "：答复不是 JSON 对象 (the answer is not a JSON object)");
  }
  return std::move(v.get_object());
}

Result<std::string> StringField(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) {
    return core::Unavailable("答复缺少字段 " + std::string(key) + " (missing field)");
  }
  return std::string(v->get_string());
}

Result<std::int64_t> IntField(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64() && v->get_uint64() <= INT64_MAX) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return core::Unavailable("答复缺少整数字段 " + std::string(key) + " (missing field)");
}

// The deployment's public record routes (docs/openapi.yaml) over HTTP.
class HttpDeploymentSource : public record::DeploymentSource {
 public:
  HttpDeploymentSource(Endpoint endpoint, std::chrono::seconds timeout)
      : client_(std::move(endpoint), timeout) {}

  Result<KeyInfo> Key() override {
    const std::string what = "读取部署公钥 (key)";
    auto a = TRY(client_.Send(bhttp::verb::get, "/api/public/record/key", {}));
    if (a.status != 200) return AnswerError(what, a);
    const json::object o = TRY(JsonOf(what, a));
    KeyInfo info;
    info.public_key_pem = TRY(StringField(o, "public_key_pem"));
    auto hash = record::ParseHashAlgorithm(TRY(StringField(o, "hash")));
    if (!hash.ok()) return core::Unavailable(what + "：未知的哈希算法 (unknown hash)");
    info.hash = *hash;
    return info;
  }

  Result<std::optional<store::CheckpointRecord>> LatestCheckpoint() override {
    const std::string what = "读取最新检查点 (latest checkpoint)";
    auto a = TRY(client_.Send(bhttp::verb::get, "/api/public/record/checkpoints/latest", {}));
    if (a.status == 404) return std::optional<store::CheckpointRecord>();
    if (a.status != 200) return AnswerError(what, a);
    const json::object o = TRY(JsonOf(what, a));
    store::CheckpointRecord c;
    c.size = TRY(IntField(o, "size"));
    auto root = core::HexDecode(TRY(StringField(o, "root")));
    if (!root.ok()) return core::Unavailable(what + "：root 不是十六进制");
    c.root = std::move(root).value();
    if (!core::ParseIsoTime(TRY(StringField(o, "at")), &c.at)) {
      return core::Unavailable(what + "：at 不是 ISO 时间");
    }
    c.body = TRY(StringField(o, "body"));
    c.key_id = TRY(StringField(o, "key_id"));
    auto signature = core::Base64Decode(TRY(StringField(o, "signature")));
    if (!signature.ok()) return core::Unavailable(what + "：signature 不是 base64");
    c.signature = std::move(signature).value();
    return std::optional<store::CheckpointRecord>(std::move(c));
  }

  Result<std::vector<record::Hash>> Consistency(std::uint64_t from, std::uint64_t to) override {
    const std::string what = "读取一致性证明 (consistency proof)";
    auto a = TRY(client_.Send(
        bhttp::verb::get,
        "/api/public/record/consistency?from=" + std::to_string(from) + "&to=" + std::to_string(to),
        {}));
    if (a.status != 200) return AnswerError(what, a);
    const json::object o = TRY(JsonOf(what, a));
    const auto* proof = o.if_contains("proof");
    if (!proof || !proof->is_array()) return core::Unavailable(what + "：缺少 proof");
    std::vector<record::Hash> out;
    for (const auto& item : proof->get_array()) {
      if (!item.is_string()) return core::Unavailable(what + "：proof 项不是字符串");
      auto bytes = core::HexDecode(item.get_string());
      record::Hash h{};
      if (!bytes.ok() || bytes->size() != h.size()) {
        return core::Unavailable(what + "：proof 项不是哈希");
      }
      std::copy(bytes->begin(), bytes->end(), h.begin());
      out.push_back(h);
    }
    return out;
  }

  core::Status SubmitCosignature(const store::CosignatureRecord& c) override {
    const json::object body{{"size", c.size},
                            {"witness", c.witness},
                            {"key_id", c.key_id},
                            {"signature", core::Base64Encode(c.signature)},
                            {"at", core::FormatIsoUtc(c.at)}};
    auto a = TRY(
        client_.Send(bhttp::verb::post, "/api/public/record/cosignatures", json::serialize(body)));
    if (a.status == 201 || a.status == 200) return core::Ok();
    return AnswerError("提交副署 (post cosignature)", a);
  }

 private:
  HttpClient client_;
};

Result<std::string> ReadText(const std::filesystem::path& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::InvalidArgument("无法读取文件 " + path.string(), flag);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<crypto::PrivateKey> LoadOrCreateKey(const std::filesystem::path& path, bool create,
                                           const std::string& algorithm, std::ostream& err) {
  auto key = crypto::PrivateKey::LoadFile(path);
  if (key.ok() || key.error().code != core::ErrorCode::kNotFound) {
    if (!key.ok()) {
      auto e = std::move(key).error();
      e.field = "--key";
      return e;
    }
    return key;
  }
  if (!create) {
    return core::InvalidArgument("见证密钥文件 " + path.string() +
                                     " 不存在；首次运行请加 --create-key (witness key missing)",
                                 "--key");
  }
  auto parsed = crypto::ParseSignatureAlgorithm(algorithm);
  if (!parsed.ok()) return core::InvalidArgument("应为 sm2 或 ed25519", "--algorithm");
  crypto::PrivateKey created = TRY(crypto::PrivateKey::Generate(*parsed));
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  TRY(created.SaveFile(path));
  err << "已创建见证密钥 created witness key " << path.string() << " ("
      << crypto::SignatureAlgorithmName(*parsed) << ", key id " << created.Public().KeyId()
      << ")\n";
  return created;
}

int Report(const core::Error& e, std::ostream& err) {
  err << "lvyuan: " << e.message;
  if (!e.field.empty()) err << " [" << e.field << "]";
  err << "\n";
  return kWitnessFailed;
}

}  // namespace

int RunWitnessCommand(const WitnessOptions& options, std::ostream& out, std::ostream& err) {
  if (auto valid = record::ValidateWitnessName(options.name); !valid.ok()) {
    auto e = valid.error();
    e.field = "--name";
    return Report(e, err);
  }
  auto endpoint = ParseUrl(options.url);
  if (!endpoint.ok()) return Report(endpoint.error(), err);
  auto key = LoadOrCreateKey(options.key_file, options.create_key, options.algorithm, err);
  if (!key.ok()) return Report(key.error(), err);

  std::optional<crypto::PublicKey> trusted;
  if (!options.trust_key_file.empty()) {
    auto pem = ReadText(options.trust_key_file, "--trust-key");
    if (!pem.ok()) return Report(pem.error(), err);
    auto parsed = crypto::PublicKey::FromPem(*pem);
    if (!parsed.ok()) {
      return Report(core::InvalidArgument(parsed.error().message, "--trust-key"), err);
    }
    trusted = std::move(parsed).value();
  }

  std::optional<record::WitnessState> state;
  auto loaded = record::LoadWitnessState(options.state_file);
  if (loaded.ok()) {
    state = std::move(loaded).value();
  } else if (loaded.error().code != core::ErrorCode::kNotFound) {
    auto e = loaded.error();
    e.field = "--state";
    return Report(e, err);
  }
  // A pinned key named on later runs must still be the one in the state.
  if (state && trusted && trusted->KeyId() != state->deployment_key_id) {
    return Report(core::InvalidArgument("--trust-key 与状态文件中记录的部署公钥不同 "
                                        "(the trusted key is not the one in the state file)",
                                        "--trust-key"),
                  err);
  }

  HttpDeploymentSource source(*endpoint, options.timeout);
  core::SystemClock clock;
  auto run = record::RunWitness(source, {.name = options.name, .key = &*key}, state,
                                trusted ? &*trusted : nullptr, clock);
  if (!run.ok()) return Report(run.error(), err);
  const record::WitnessReport& r = *run;
  if (r.outcome == record::WitnessOutcome::kRefused) {
    err << "lvyuan: 拒绝副署 REFUSED to cosign the checkpoint of " << options.url << "\n"
        << r.reason << "\n";
    return kWitnessRefused;
  }
  if (auto saved = record::SaveWitnessState(options.state_file, *state); !saved.ok()) {
    auto e = saved.error();
    e.field = "--state";
    return Report(e, err);
  }
  switch (r.outcome) {
    case record::WitnessOutcome::kCosigned:
      out << "已副署 cosigned checkpoint size " << r.size << " root " << core::HexEncode(r.root)
          << " (deployment key " << r.deployment_key_id << ")\n";
      break;
    case record::WitnessOutcome::kAlreadyCosigned:
      out << "无新检查点 nothing new: checkpoint size " << r.size << " already cosigned\n";
      break;
    case record::WitnessOutcome::kNoCheckpoint:
      out << "部署尚无检查点 the deployment has no checkpoint yet; trusting key "
          << r.deployment_key_id << "\n";
      break;
    case record::WitnessOutcome::kRefused:
      break;
  }
  return kWitnessOk;
}

int RunWitnessKey(const std::filesystem::path& key_file, bool create, const std::string& algorithm,
                  std::ostream& out, std::ostream& err) {
  auto key = LoadOrCreateKey(key_file, create, algorithm, err);
  if (!key.ok()) return Report(key.error(), err);
  out << key->Public().ToPem();
  return kWitnessOk;
}

int RunWitnessAdd(store::Database& db, const std::string& name, const std::string& public_key,
                  std::ostream& out, std::ostream& err) {
  std::string pem = public_key;
  if (public_key.find("-----BEGIN") == std::string::npos) {
    auto text = ReadText(public_key, "--key");
    if (!text.ok()) return Report(text.error(), err);
    pem = std::move(text).value();
  }
  auto key = crypto::PublicKey::FromPem(pem);
  if (!key.ok()) return Report(core::InvalidArgument(key.error().message, "--key"), err);
  record::WitnessRegistry registry(db);
  if (auto added = registry.Add(name, *key); !added.ok()) return Report(added.error(), err);
  out << "见证方 witness " << name << " accepted ("
      << crypto::SignatureAlgorithmName(key->algorithm()) << ", key id " << key->KeyId() << ")\n";
  return kWitnessOk;
}

}  // namespace lvyuan::app
