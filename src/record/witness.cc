#include "record/witness.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/encoding.h"
#include "record/checkpoint.h"
#include "record/log.h"
#include "store/accounts.h"

namespace lvyuan::record {
namespace json = boost::json;

namespace {

std::string SettingKey(std::string_view name) {
  return std::string(kWitnessSettingPrefix) + std::string(name);
}

core::Result<std::optional<crypto::PublicKey>> FindIn(store::Conn& conn, std::string_view name) {
  auto der = TRY(store::GetSetting(conn, SettingKey(name)));
  if (!der) return std::optional<crypto::PublicKey>();
  auto key = crypto::PublicKey::FromDer(*der);
  if (!key.ok()) {
    return core::DataLoss("见证方 " + std::string(name) + " 的公钥已损坏：" + key.error().message);
  }
  return std::optional<crypto::PublicKey>(std::move(key).value());
}

core::Error Denied(std::string message, std::string field) {
  core::Error e = core::PermissionDenied(std::move(message));
  e.field = std::move(field);
  return e;
}

Hash HashOf(std::span<const std::uint8_t> bytes) {
  Hash h{};
  if (bytes.size() == h.size()) std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

core::Status IoError(const std::string& what, const std::filesystem::path& path, int error) {
  return core::Unavailable(what + " " + path.string() + ": " + std::strerror(error));
}

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

core::Status ValidateWitnessName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return core::InvalidArgument("见证方名称应为 1 到 64 个字符", "witness");
  }
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
    if (!ok) {
      return core::InvalidArgument("见证方名称只能包含字母、数字、点、连字符和下划线", "witness");
    }
  }
  return core::Ok();
}

core::Status WitnessRegistry::Add(std::string_view name, const crypto::PublicKey& key) {
  if (auto valid = ValidateWitnessName(name); !valid.ok()) {
    auto e = valid.error();
    e.field = "name";
    return e;
  }
  const std::vector<std::uint8_t> der = key.ToDer();
  store::Blob stored;
  TRY(db_.Write([&](store::Conn& conn) -> core::Status {
    stored = TRY(store::PutSettingIfAbsent(conn, SettingKey(name), der));
    return core::Ok();
  }));
  if (stored != der) {
    return core::AlreadyExists("见证方 " + std::string(name) + " 已登记了另一把公钥", "name");
  }
  return core::Ok();
}

core::Result<std::optional<crypto::PublicKey>> WitnessRegistry::Find(std::string_view name) {
  std::optional<crypto::PublicKey> found;
  TRY(db_.Read([&](store::Conn& conn) -> core::Status {
    found = TRY(FindIn(conn, name));
    return core::Ok();
  }));
  return found;
}

core::Status WitnessRegistry::Accept(const store::CosignatureRecord& c) {
  if (!ValidateWitnessName(c.witness).ok()) {
    return Denied("本部署不接受该见证方", "witness");
  }
  return db_.Write([&](store::Conn& conn) -> core::Status {
    auto key = TRY(FindIn(conn, c.witness));
    if (!key) return Denied("本部署不接受见证方 " + c.witness, "witness");
    if (key->KeyId() != c.key_id) {
      return Denied("密钥标识不是见证方 " + c.witness + " 登记的公钥", "key_id");
    }
    auto checkpoint = TRY(store::FindCheckpoint(conn, c.size));
    if (!checkpoint) return core::NotFound("没有树大小为 " + std::to_string(c.size) + " 的检查点");
    const std::string message = CosignatureMessage(checkpoint->body, c.at);
    if (!key->Verify(core::AsBytes(message), c.signature)) {
      return core::InvalidArgument("副署签名验证失败", "signature");
    }
    auto put = store::PutCosignature(conn, c);
    if (!put.ok() && put.error().code == core::ErrorCode::kAlreadyExists) {
      return core::AlreadyExists("见证方 " + c.witness + " 已副署过该检查点");
    }
    return put;
  });
}

core::Result<WitnessState> LoadWitnessState(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return core::NotFound("见证状态文件不存在：" + path.string());
    }
    return core::Unavailable("无法读取见证状态文件 " + path.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  auto bad = [&](const std::string& what) {
    return core::DataLoss("见证状态文件 " + path.string() + " 已损坏：" + what);
  };
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object()) return bad("不是 JSON 对象");
  const json::object& o = v.get_object();
  WitnessState s;
  try {
    s.deployment_key_id = json::value_to<std::string>(o.at("deployment_key_id"));
    s.deployment_key_pem = json::value_to<std::string>(o.at("deployment_public_key_pem"));
    auto hash = ParseHashAlgorithm(json::value_to<std::string>(o.at("hash")));
    if (!hash.ok()) return bad("hash");
    s.hash = *hash;
    const std::int64_t size = o.at("size").as_int64();
    if (size < 0) return bad("size");
    s.size = static_cast<std::uint64_t>(size);
    auto root = core::HexDecode(json::value_to<std::string>(o.at("root")));
    if (!root.ok() || root->size() != s.root.size()) return bad("root");
    s.root = HashOf(*root);
  } catch (const std::exception& e) {
    return bad(e.what());
  }
  auto key = crypto::PublicKey::FromPem(s.deployment_key_pem);
  if (!key.ok() || key->KeyId() != s.deployment_key_id) return bad("deployment_public_key_pem");
  return s;
}

core::Status SaveWitnessState(const std::filesystem::path& path, const WitnessState& s) {
  const json::object o{{"format", "lvyuan-witness-state/v1"},
                       {"deployment_key_id", s.deployment_key_id},
                       {"deployment_public_key_pem", s.deployment_key_pem},
                       {"hash", HashAlgorithmName(s.hash)},
                       {"size", static_cast<std::int64_t>(s.size)},
                       {"root", core::HexEncode(s.root)}};
  const std::string text = json::serialize(o) + "\n";
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    Fd fd{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (fd.fd < 0) return IoError("cannot create", tmp, errno);
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd.fd, text.data() + done, text.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("cannot write", tmp, errno);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.fd) != 0) return IoError("cannot sync", tmp, errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot rename onto", path, errno);
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  Fd dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir_fd.fd >= 0) ::fsync(dir_fd.fd);
  return core::Ok();
}

core::Result<store::CosignatureRecord> Cosign(const store::CheckpointRecord& checkpoint,
                                              const WitnessIdentity& witness, std::int64_t at_ms) {
  store::CosignatureRecord c;
  c.size = checkpoint.size;
  c.witness = witness.name;
  c.key_id = witness.key->Public().KeyId();
  c.at = at_ms;
  c.signature = TRY(witness.key->Sign(core::AsBytes(CosignatureMessage(checkpoint.body, at_ms))));
  return c;
}

core::Result<WitnessReport> RunWitness(DeploymentSource& source, const WitnessIdentity& witness,
                                       std::optional<WitnessState>& state,
                                       const crypto::PublicKey* trusted_key,
                                       const core::Clock& clock) {
  WitnessReport report;
  if (state) {
    report.previous_size = state->size;
    report.previous_root = state->root;
  }
  auto refuse = [&](std::string reason) {
    report.outcome = WitnessOutcome::kRefused;
    report.reason = std::move(reason);
    return report;
  };

  const DeploymentSource::KeyInfo served = TRY(source.Key());
  auto key = crypto::PublicKey::FromPem(served.public_key_pem);
  if (!key.ok()) {
    return refuse("部署的公钥无法解析：" + key.error().message +
                  "\nthe deployment's public key cannot be read");
  }
  report.deployment_key_id = key->KeyId();
  if (state) {
    if (key->KeyId() != state->deployment_key_id) {
      return refuse("部署密钥已变更：此前为 " + state->deployment_key_id + "，现为 " +
                    key->KeyId() + "\ndeployment key changed: was " + state->deployment_key_id +
                    ", now " + key->KeyId());
    }
    if (served.hash != state->hash) {
      return refuse("部署的哈希算法已变更\nthe deployment's hash algorithm changed");
    }
  } else if (trusted_key && trusted_key->KeyId() != key->KeyId()) {
    return refuse("部署的公钥 " + key->KeyId() + " 不是指定信任的公钥 " + trusted_key->KeyId() +
                  "\nthe deployment's key " + key->KeyId() + " is not the trusted key " +
                  trusted_key->KeyId());
  }
  if (!state) {
    state = WitnessState{
        .deployment_key_id = key->KeyId(), .deployment_key_pem = key->ToPem(), .hash = served.hash};
  }

  auto latest = TRY(source.LatestCheckpoint());
  if (!latest) {
    report.outcome = WitnessOutcome::kNoCheckpoint;
    return report;
  }
  const store::CheckpointRecord& checkpoint = *latest;
  if (auto verified = VerifyCheckpoint(checkpoint, *key, state->hash); !verified.ok()) {
    return refuse("检查点未通过验证：" + verified.error().message +
                  "\nthe checkpoint does not verify with the deployment's key");
  }
  if (checkpoint.size < 1 || checkpoint.root.size() != report.root.size()) {
    return refuse("检查点的树大小或根哈希无效\nthe checkpoint's size or root is invalid");
  }
  report.size = static_cast<std::uint64_t>(checkpoint.size);
  report.root = HashOf(checkpoint.root);

  const std::string roots =
      "\n  此前副署 previously cosigned: size " + std::to_string(report.previous_size) + " root " +
      core::HexEncode(report.previous_root) + "\n  现在提供 now served:          size " +
      std::to_string(report.size) + " root " + core::HexEncode(report.root);
  if (state->size > 0) {
    if (report.size < state->size) {
      return refuse("日志变短了：最新检查点小于此前副署的检查点（日志被截断或改写）" +
                    std::string("\nthe log shrank: the latest checkpoint is smaller than the one "
                                "cosigned before (truncated or rewritten log)") +
                    roots);
    }
    if (report.size == state->size) {
      if (report.root != state->root) {
        return refuse(
            "分叉：同一树大小出现了不同的根哈希\nFORK: a different root at the same tree size" +
            roots);
      }
      report.outcome = WitnessOutcome::kAlreadyCosigned;
      return report;
    }
    const std::vector<Hash> proof = TRY(source.Consistency(state->size, report.size));
    if (auto consistent = VerifyConsistency(state->hash, state->size, report.size, proof,
                                            state->root, report.root);
        !consistent.ok()) {
      return refuse(
          "一致性证明不成立：新检查点不是此前副署检查点的延续（日志分叉或被改写）" +
          std::string("\nFORK: the consistency proof fails, the new checkpoint does not extend "
                      "the one cosigned before (forked or rewritten log)") +
          roots);
    }
  }

  const store::CosignatureRecord cosignature = TRY(Cosign(checkpoint, witness, clock.NowMs()));
  auto submitted = source.SubmitCosignature(cosignature);
  if (!submitted.ok() && submitted.error().code != core::ErrorCode::kAlreadyExists) {
    return std::move(submitted).error();
  }
  state->size = report.size;
  state->root = report.root;
  report.outcome = submitted.ok() ? WitnessOutcome::kCosigned : WitnessOutcome::kAlreadyCosigned;
  return report;
}

}  // namespace lvyuan::record
