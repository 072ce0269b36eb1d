#include "record/bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "core/encoding.h"
#include "record/canonical.h"
#include "record/checkpoint.h"
#include "store/record.h"
#include "store/test_support.h"

namespace lvyuan::record {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using store::testing::CodeOf;
using store::testing::IsOk;
using store::testing::ScratchDirectory;

using MemberMap = std::map<std::string, std::string>;

// Every regular member of a tar, in order of appearance (names are unique).
std::vector<std::pair<std::string, std::string>> ReadTar(const fs::path& path) {
  std::vector<std::pair<std::string, std::string>> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 10240), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string content;
    char buf[8192];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
      content.append(buf, static_cast<std::size_t>(n));
    }
    out.emplace_back(archive_entry_pathname(entry), std::move(content));
  }
  archive_read_free(a);
  return out;
}

void WriteTar(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& m) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& [name, content] : m) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

class BundleTest : public ::testing::TestWithParam<crypto::SignatureAlgorithm> {
 protected:
  void SetUp() override {
    auto db = store::Open({.url = (dir_.path() / "lvyuan.db").string()});
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(db).value();
    ASSERT_TRUE(IsOk(db_->Migrate()));
    log_ = std::move(Log::Open(*db_, clock_, HashAlgorithm::kSm3).value());
    auto key = EnsureSigningKey(*db_, dir_.path() / "keys" / "record-key.pem", GetParam());
    ASSERT_TRUE(IsOk(key));
    key_ = std::make_unique<crypto::PrivateKey>(std::move(key).value());
    blobs_ = std::make_unique<BlobStore>(dir_.path() / "files");

    auto writer = blobs_->Begin("upload-1");
    ASSERT_TRUE(IsOk(writer));
    ASSERT_TRUE(IsOk(writer->Write(core::AsBytes(kFileContent))));
    auto info = writer->Commit();
    ASSERT_TRUE(IsOk(info));
    file_ = *info;

    // unit:3 gets events 2, 4 (with the file) and 7; others are noise.
    Append("unit.create", "unit", "3", false);
    Append("unit.create", "unit", "3", false);
    Append("user.create", "user", "9", false);
    Append("unit.update", "unit", "3", true);
    Append("auth.login", "", "", false);
    Append("unit.update", "unit", "30", false);
    Append("unit.update", "unit", "3", false);
  }

  void TearDown() override {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_.path(), ec);
         !ec && it != fs::recursive_directory_iterator(); ++it) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }

  void Append(const std::string& action, const std::string& type, const std::string& id,
              bool with_file) {
    ASSERT_TRUE(IsOk(db_->Write([&](store::Conn& conn) -> core::Status {
      clock_.Advance(1000);
      EventInput in;
      in.action = action;
      in.object_type = type;
      in.object_id = id;
      in.actor = {7, "hzhb_officer", 3};
      in.client_ip = "127.0.0.1";
      in.changes = {{"contact_phone", json::object{{"before", ""}, {"after", "0572-1234567"}}}};
      if (with_file) {
        in.files = {json::object{{"sm3", file_.sm3_hex},
                                 {"sha256", file_.sha256_hex},
                                 {"size", file_.size},
                                 {"name", "现场笔录.pdf"}}};
      }
      TRY(log_->Append(conn, in));
      return core::Ok();
    })));
  }

  core::Result<BundleSummary> Export(const BlobStore* blobs = nullptr, bool use_blobs = true) {
    return ExportBundle(*db_, *log_, *key_, clock_,
                        use_blobs ? (blobs ? blobs : blobs_.get()) : nullptr,
                        {.object_type = "unit", .object_id = "3", .out = dir_.path()});
  }

  // Exports, applies `change` to the members and verifies the result.
  BundleReport VerifyChanged(const std::function<void(MemberMap&)>& change) {
    auto summary = Export();
    EXPECT_TRUE(IsOk(summary));
    auto members = ReadTar(summary->path);
    MemberMap map(members.begin(), members.end());
    change(map);
    for (auto& [name, content] : members) {
      if (map.contains(name)) content = map[name];
    }
    std::erase_if(members, [&](const auto& m) { return !map.contains(m.first); });
    const fs::path changed = dir_.path() / "changed.tar";
    WriteTar(changed, members);
    auto report = VerifyBundle(changed);
    EXPECT_TRUE(IsOk(report));
    return report.ok() ? *report : BundleReport{};
  }

  static std::string ProblemItem(const BundleReport& r) {
    return r.problem ? r.problem->item : "(verified)";
  }

  static constexpr std::string_view kFileContent = "%PDF-1.7\n现场检查笔录\nxxxxxxxxxxxxxxxx";

  ScratchDirectory dir_;
  core::FakeClock clock_{1764633600000};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<crypto::PrivateKey> key_;
  std::unique_ptr<BlobStore> blobs_;
  BlobInfo file_;
};

INSTANTIATE_TEST_SUITE_P(Algorithms, BundleTest,
                         ::testing::Values(crypto::SignatureAlgorithm::kSm2,
                                           crypto::SignatureAlgorithm::kEd25519));

TEST_P(BundleTest, ExportedBundleVerifiesOffline) {
  auto summary = Export();
  ASSERT_TRUE(IsOk(summary));
  EXPECT_EQ(summary->events, 4U);
  EXPECT_EQ(summary->files, 1U);
  EXPECT_EQ(summary->file_bytes, kFileContent.size());
  EXPECT_EQ(summary->checkpoint_size, 7U);
  EXPECT_TRUE(summary->made_checkpoint);
  EXPECT_EQ(summary->path.filename(), "evidence-unit-3-2025-12-02.tar");
  EXPECT_FALSE(fs::exists(summary->path.string() + ".part"));

  const crypto::PublicKey trusted = key_->Public();
  auto report = VerifyBundle(summary->path, &trusted);
  ASSERT_TRUE(IsOk(report));
  EXPECT_TRUE(report->ok()) << report->problem->item << ": " << report->problem->message;
  EXPECT_TRUE(report->key_trusted);
  EXPECT_EQ(report->key_id, trusted.KeyId());
  EXPECT_EQ(report->events_checked, 4U);
  EXPECT_EQ(report->files_checked, 1U);
  EXPECT_EQ(report->checkpoint_size, 7U);
  EXPECT_EQ(report->object_type, "unit");
  EXPECT_EQ(report->object_id, "3");
}

TEST_P(BundleTest, BundleHoldsTheExactCanonicalEventsAndTheSignedBody) {
  auto summary = Export();
  ASSERT_TRUE(IsOk(summary));
  auto members = ReadTar(summary->path);
  std::vector<std::string> names;
  for (const auto& m : members) names.push_back(m.first);
  const std::vector<std::string> expected = {
      "README.md",       "manifest.json",  "public-key.pem",        "checkpoint.txt",
      "checkpoint.body", "checkpoint.sig", "events/1.json",         "events/2.json",
      "events/4.json",   "events/7.json",  "proofs/1.json",         "proofs/2.json",
      "proofs/4.json",   "proofs/7.json",  "files/" + file_.sm3_hex};
  EXPECT_EQ(names, expected);
  MemberMap map(members.begin(), members.end());
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    auto e = TRY(store::FindEvent(conn, 4));
    const std::string canonical = TRY(CanonicalEvent(*e));
    EXPECT_EQ(map["events/4.json"], canonical);
    auto c = TRY(store::LatestCheckpoint(conn));
    EXPECT_EQ(map["checkpoint.body"], c->body);
    EXPECT_EQ(map["checkpoint.sig"], std::string(c->signature.begin(), c->signature.end()));
    return core::Ok();
  })));
  EXPECT_EQ(map["files/" + file_.sm3_hex], kFileContent);
  EXPECT_NE(map["README.md"].find("lvyuan-verify"), std::string::npos);
  const json::object manifest = json::parse(map["manifest.json"]).as_object();
  EXPECT_EQ(manifest.at("format").as_string(), kBundleFormat);
  EXPECT_EQ(manifest.at("events").as_array().size(), 4U);
  EXPECT_EQ(manifest.at("files").as_array()[0].at("name").as_string(), "现场笔录.pdf");
}

TEST_P(BundleTest, SecondExportReusesTheCheckpointThatCoversTheEvents) {
  ASSERT_TRUE(IsOk(Export()));
  auto again = Export();
  ASSERT_TRUE(IsOk(again));
  EXPECT_FALSE(again->made_checkpoint);
  EXPECT_EQ(again->checkpoint_size, 7U);
}

TEST_P(BundleTest, ObjectWithoutEventsIsNotFound) {
  auto summary = ExportBundle(*db_, *log_, *key_, clock_, blobs_.get(),
                              {.object_type = "unit", .object_id = "404", .out = dir_.path()});
  EXPECT_EQ(CodeOf(summary), core::ErrorCode::kNotFound);
  auto empty = ExportBundle(*db_, *log_, *key_, clock_, blobs_.get(),
                            {.object_type = "unit", .object_id = "", .out = dir_.path()});
  EXPECT_EQ(CodeOf(empty), core::ErrorCode::kInvalidArgument);
}

TEST_P(BundleTest, ExportWithoutTheBlobStoreListsFilesWithoutBytes) {
  auto summary = Export(nullptr, /*use_blobs=*/false);
  ASSERT_TRUE(IsOk(summary));
  EXPECT_EQ(summary->files, 0U);
  auto report = VerifyBundle(summary->path);
  ASSERT_TRUE(IsOk(report));
  EXPECT_TRUE(report->ok()) << ProblemItem(*report);
  EXPECT_EQ(report->files_not_included, 1U);
  EXPECT_FALSE(report->key_trusted);
}

TEST_P(BundleTest, RefusesToExportAFileMissingFromTheBlobStore) {
  BlobStore elsewhere(dir_.path() / "other-files");
  auto summary = Export(&elsewhere);
  EXPECT_EQ(CodeOf(summary), core::ErrorCode::kDataLoss);
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_NE(entry.path().extension(), ".part") << entry.path();
    EXPECT_NE(entry.path().extension(), ".tar") << entry.path();
  }
}

TEST_P(BundleTest, AlteredEventByteIsNamed) {
  auto r = VerifyChanged([](MemberMap& m) {
    auto& e = m["events/4.json"];
    e.replace(e.find("127.0.0.1"), 9, "127.0.0.2");
  });
  EXPECT_EQ(ProblemItem(r), "events/4.json");
}

TEST_P(BundleTest, NonCanonicalEventIsNamed) {
  auto r = VerifyChanged([](MemberMap& m) { m["events/2.json"].insert(1, " "); });
  EXPECT_EQ(ProblemItem(r), "events/2.json");
}

TEST_P(BundleTest, AlteredProofHashIsNamed) {
  auto r = VerifyChanged([](MemberMap& m) {
    auto& p = m["proofs/4.json"];
    const auto at = p.find("\"hashes\":[\"") + 11;
    p[at] = p[at] == '0' ? '1' : '0';
  });
  EXPECT_EQ(ProblemItem(r), "proofs/4.json");
}

TEST_P(BundleTest, AlteredCheckpointBodyIsNamed) {
  auto r = VerifyChanged([](MemberMap& m) {
    auto& b = m["checkpoint.body"];
    b.replace(b.find("\n7\n"), 3, "\n8\n");
  });
  EXPECT_EQ(ProblemItem(r), "checkpoint.body");
}

TEST_P(BundleTest, AlteredSignatureIsNamed) {
  auto r = VerifyChanged([](MemberMap& m) {
    auto& s = m["checkpoint.sig"];
    s[s.size() - 2] = static_cast<char>(s[s.size() - 2] ^ 0x01);
  });
  EXPECT_EQ(ProblemItem(r), "checkpoint.sig");
}

TEST_P(BundleTest, AlteredFileByteIsNamed) {
  const std::string name = "files/" + file_.sm3_hex;
  auto r = VerifyChanged([&](MemberMap& m) { m[name][0] = 'X'; });
  EXPECT_EQ(ProblemItem(r), name);
}

TEST_P(BundleTest, AlteredManifestFileHashIsNamed) {
  const std::string sha256 = file_.sha256_hex;
  auto r = VerifyChanged([&](MemberMap& m) {
    auto& text = m["manifest.json"];
    const auto at = text.find(sha256);
    ASSERT_NE(at, std::string::npos);
    text[at] = text[at] == 'a' ? 'b' : 'a';
  });
  EXPECT_EQ(ProblemItem(r), "manifest.json");
}

TEST_P(BundleTest, AlteredManifestLeafHashIsNamed) {
  auto r = VerifyChanged([](MemberMap& m) {
    auto& text = m["manifest.json"];
    const auto at = text.find("\"leaf_hash\":\"") + 13;
    text[at] = text[at] == '0' ? '1' : '0';
  });
  EXPECT_EQ(ProblemItem(r), "manifest.json");
}

TEST_P(BundleTest, MissingEventIsNamed) {
  auto r = VerifyChanged([](MemberMap& m) { m.erase("events/7.json"); });
  EXPECT_EQ(ProblemItem(r), "events/7.json");
}

TEST_P(BundleTest, MissingFileIsNamed) {
  const std::string name = "files/" + file_.sm3_hex;
  auto r = VerifyChanged([&](MemberMap& m) { m.erase(name); });
  EXPECT_EQ(ProblemItem(r), name);
}

TEST_P(BundleTest, UntrustedKeyIsNamed) {
  auto summary = Export();
  ASSERT_TRUE(IsOk(summary));
  auto other = crypto::PrivateKey::Generate(GetParam());
  ASSERT_TRUE(IsOk(other));
  const crypto::PublicKey other_public = other->Public();
  auto report = VerifyBundle(summary->path, &other_public);
  ASSERT_TRUE(IsOk(report));
  EXPECT_EQ(ProblemItem(*report), "public-key.pem");
}

TEST_P(BundleTest, BundleSignedWithAnotherKeyFailsTheSignature) {
  // A forger replaces the key and the signature but cannot sign the real body
  // without also being caught by --public-key; here only the key is replaced.
  auto other = crypto::PrivateKey::Generate(GetParam());
  ASSERT_TRUE(IsOk(other));
  const std::string pem = other->Public().ToPem();
  auto r = VerifyChanged([&](MemberMap& m) { m["public-key.pem"] = pem; });
  ASSERT_TRUE(r.problem.has_value());
  EXPECT_EQ(r.problem->item, "checkpoint.sig");
}

TEST_P(BundleTest, UnreadableBundleIsAnError) {
  const fs::path junk = dir_.path() / "junk.tar";
  std::ofstream(junk) << "not a tar at all";
  EXPECT_FALSE(VerifyBundle(junk).ok());
  EXPECT_EQ(CodeOf(VerifyBundle(dir_.path() / "absent.tar")), core::ErrorCode::kNotFound);
}

// The README's shell block (OpenSSL only) runs as written on the extracted
// members: the signature verifies (pkeyutl exits 1 otherwise) and the digests
// printed are the manifest's leaf hash and the file's SM3 and SHA-256.
TEST_P(BundleTest, ReadmeOpensslCommandsVerifyTheBundleByHand) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl";
  auto summary = Export();
  ASSERT_TRUE(IsOk(summary));
  const fs::path out = dir_.path() / "extracted";
  std::string leaf_hash, readme;
  for (const auto& [name, content] : ReadTar(summary->path)) {
    fs::create_directories((out / name).parent_path());
    std::ofstream(out / name, std::ios::binary) << content;
    if (name == "manifest.json") {
      leaf_hash = json::value_to<std::string>(
          json::parse(content).at("events").as_array()[0].at("leaf_hash"));
    }
    if (name == "README.md") readme = content;
  }
  const auto begin = readme.find("```sh\n");
  ASSERT_NE(begin, std::string::npos);
  const auto end = readme.find("```", begin + 6);
  std::ofstream(out / "check.sh") << "set -e\n" << readme.substr(begin + 6, end - begin - 6);
  const fs::path output = dir_.path() / "output.txt";
  ASSERT_EQ(
      std::system(
          ("cd '" + out.string() + "' && bash check.sh > '" + output.string() + "' 2>&1").c_str()),
      0);
  std::ostringstream printed;
  printed << std::ifstream(output).rdbuf();
  EXPECT_NE(printed.str().find("Signature Verified Successfully"), std::string::npos)
      << printed.str();
  EXPECT_NE(printed.str().find(leaf_hash), std::string::npos) << printed.str();
  EXPECT_NE(printed.str().find(file_.sm3_hex), std::string::npos) << printed.str();
  EXPECT_NE(printed.str().find(file_.sha256_hex), std::string::npos) << printed.str();
}

}  // namespace
}  // namespace lvyuan::record
