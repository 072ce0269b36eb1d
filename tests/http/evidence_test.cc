// Evidence files through the API: streamed uploads in constant memory,
// resuming after a dropped connection, the type allow-list, Range downloads,
// every read recorded for the audit administrator, and unit isolation.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kCookie = "__Host-lvyuan";
constexpr std::uint64_t kMiB = 1024 * 1024;

// An MP4 file type box (major brand isom): what the server sniffs as video/mp4.
constexpr unsigned char kMp4Header[32] = {0,   0,   0,   32,  'f', 't', 'y', 'p', 'i', 's', 'o',
                                          'm', 0,   0,   2,   0,   'i', 's', 'o', 'm', 'i', 's',
                                          'o', '2', 'a', 'v', 'c', '1', 'm', 'p', '4', '1'};

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The bytes of a synthetic video of any size, produced piece by piece: the
// byte at offset i is the same however the stream is cut.
class VideoBytes {
 public:
  explicit VideoBytes(std::uint64_t seed) : seed_(seed) {}
  // Fills out with the bytes at [offset, offset + out.size()).
  void Fill(std::uint64_t offset, std::string& out) const {
    std::size_t i = 0;
    while (i < out.size()) {
      const std::uint64_t at = offset + i;
      const std::uint64_t word = SplitMix(seed_ ^ (at >> 3));
      for (std::uint64_t b = at & 7; b < 8 && i < out.size(); ++b, ++i) {
        out[i] = static_cast<char>(word >> (b * 8));
      }
    }
    for (std::uint64_t at = offset; at < sizeof kMp4Header && at < offset + out.size(); ++at) {
      out[at - offset] = static_cast<char>(kMp4Header[at]);
    }
  }
  std::string Range(std::uint64_t offset, std::size_t size) const {
    std::string out(size, '\0');
    Fill(offset, out);
    return out;
  }

 private:
  std::uint64_t seed_;
};

class Sm3 {
 public:
  Sm3() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sm3(), nullptr) != 1) {
      throw std::runtime_error("SM3 unavailable");
    }
  }
  void Update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &length);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 15];
    }
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

std::string Sm3Of(std::string_view data) {
  Sm3 h;
  h.Update(data);
  return h.HexDigest();
}

// The server's peak resident set (VmHWM), in KiB.
std::int64_t PeakRssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6));
  }
  throw std::runtime_error("no VmHWM for pid " + std::to_string(pid));
}

// Restarts the peak count from the current resident set (Linux clear_refs
// "5"), so the peak measured later is that of what happened since. False
// when the kernel refuses; the peak then also covers earlier work.
bool ResetPeakRss(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// A raw response split into status and JSON body.
struct RawReply {
  unsigned status = 0;
  std::string body;
  json::value json() const { return json::parse(body); }
};

RawReply ParseRaw(const std::string& raw) {
  RawReply r;
  r.status = StatusOfRawResponse(raw);
  std::size_t end = raw.find("\r\n\r\n");
  if (end != std::string::npos) r.body = raw.substr(end + 4);
  return r;
}

class EvidenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    for (auto [client, name] :
         {std::pair<std::unique_ptr<Client>*, const char*>{&officer_, "hzhb_officer"},
          {&judge_, "hzzy_judge"},
          {&auditor_, "auditadmin"}}) {
      *client = std::make_unique<Client>(server_->port());
      Reply reply = (*client)->Login(name, kDemoPassword);
      ASSERT_EQ(reply.status, 200u) << name << ": " << reply;
    }
  }

  static json::object UploadRequest(std::string_view filename, std::uint64_t size) {
    return {{"filename", filename},
            {"size", size},
            {"source", "on_site_capture"},
            {"captured_at", "2026-01-15T02:30:00Z"},
            {"captured_by", "杨执法"},
            {"device_id", "执法记录仪 DSJ-A8-0031"},
            {"location",
             {{"text", "湖州市吴兴区某化工厂排污口"}, {"lat", "30.8703"}, {"lng", "120.0933"}}},
            {"description", "夜间偷排现场视频"},
            {"object_type", "matter"},
            {"object_id", "1001"}};
  }

  // Opens an upload; returns its id.
  std::string Open(std::string_view filename, std::uint64_t size) {
    Reply reply = officer_->Post("/api/v1/uploads", UploadRequest(filename, size));
    if (reply.status != 201) throw std::runtime_error("open upload: " + reply.body);
    json::value v = reply.json();
    EXPECT_EQ(AsInt(v.at("received")), 0);
    EXPECT_EQ(AsString(v.at("state")), "open");
    return AsString(v.at("id"));
  }

  Reply Put(const std::string& id, std::string body, std::optional<std::uint64_t> offset = {}) {
    HeaderMap extra;
    if (offset) extra["Upload-Offset"] = std::to_string(*offset);
    return officer_->Send("PUT", "/api/v1/uploads/" + id, std::move(body),
                          "application/octet-stream", extra);
  }

  // The head of a PUT that will carry `length` bytes, sent over a raw socket.
  std::string PutHead(const std::string& id, std::uint64_t length,
                      std::optional<std::uint64_t> offset = {}) {
    std::string head =
        "PUT /api/v1/uploads/" + id +
        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_->port()) +
        "\r\nCookie: " + std::string(kCookie) + "=" + officer_->cookie(std::string(kCookie)) +
        "\r\nX-CSRF-Token: " + officer_->csrf_token() +
        "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(length) +
        "\r\n";
    if (offset) head += "Upload-Offset: " + std::to_string(*offset) + "\r\n";
    return head + "Connection: close\r\n\r\n";
  }

  // Waits until no request is writing to the upload (the server has noticed
  // the dropped connection) and returns its state.
  json::value SettledUpload(const std::string& id) {
    for (int i = 0; i < 400; ++i) {
      Reply reply = officer_->Get("/api/v1/uploads/" + id);
      if (reply.status != 200) throw std::runtime_error("upload status: " + reply.body);
      json::value v = reply.json();
      if (!v.at("in_progress").as_bool()) return v;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("upload " + id + " still in progress after 20 s");
  }

  // Uploads `data` in one PUT; returns the evidence JSON.
  json::value UploadSmall(std::string_view filename, const std::string& data) {
    std::string id = Open(filename, data.size());
    Reply reply = Put(id, data);
    if (reply.status != 201) throw std::runtime_error("upload: " + reply.body);
    return reply.json();
  }

  static ServerProcess* server_;
  std::unique_ptr<Client> officer_;
  std::unique_ptr<Client> judge_;
  std::unique_ptr<Client> auditor_;
};
ServerProcess* EvidenceTest::server_ = nullptr;

TEST_F(EvidenceTest, OneGibVideoStreamsThroughInBoundedServerMemory) {
  constexpr std::uint64_t kSize = 1024 * kMiB;
  const VideoBytes video(1);
  std::string id = Open("夜间偷排.mp4", kSize);

  // Sign-in (argon2id) and start-up allocate more than an upload should.
  const bool reset = ResetPeakRss(server_->pid());
  RecordProperty("server_peak_reset", reset ? "yes" : "no");
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send(PutHead(id, kSize)));
  Sm3 digest;
  std::string piece(kMiB, '\0');
  for (std::uint64_t offset = 0; offset < kSize; offset += kMiB) {
    video.Fill(offset, piece);
    digest.Update(piece);
    ASSERT_TRUE(connection.Send(piece)) << "server closed at offset " << offset;
  }
  RawReply reply = ParseRaw(connection.ReadResponse(std::chrono::seconds(120)));
  ASSERT_EQ(reply.status, 201u) << reply.body;
  json::value evidence = reply.json();
  EXPECT_EQ(AsInt(evidence.at("size")), static_cast<std::int64_t>(kSize));
  EXPECT_EQ(AsString(evidence.at("media_type")), "video/mp4");
  EXPECT_EQ(AsString(evidence.at("sm3")), digest.HexDigest());
  EXPECT_EQ(AsString(evidence.at("source")), "on_site_capture");
  EXPECT_EQ(AsString(evidence.at("captured_by")), "杨执法");
  EXPECT_EQ(AsString(evidence.at("location").at("lat")), "30.8703");

  const std::int64_t peak_kib = PeakRssKib(server_->pid());
  RecordProperty("server_peak_rss_kib", std::to_string(peak_kib));
  EXPECT_LT(peak_kib, 256 * 1024) << "server peak RSS " << peak_kib / 1024 << " MiB";
  fs::path stored = server_->data_dir() / "files" / "sm3" /
                    AsString(evidence.at("sm3")).substr(0, 2) /
                    AsString(evidence.at("sm3")).substr(2, 2) / AsString(evidence.at("sm3"));
  ASSERT_TRUE(fs::exists(stored)) << stored;
  EXPECT_EQ(fs::file_size(stored), kSize);
}

TEST_F(EvidenceTest, InterruptedUploadResumesFromTheReportedOffset) {
  constexpr std::uint64_t kSize = 12 * kMiB;
  const VideoBytes video(2);
  const std::string all = video.Range(0, kSize);
  std::string id = Open("续传.mp4", kSize);
  {
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.Send(PutHead(id, kSize)));
    ASSERT_TRUE(connection.Send(std::string_view(all).substr(0, 5 * kMiB)));
  }  // the connection drops after 5 MiB

  json::value status = SettledUpload(id);
  EXPECT_EQ(AsString(status.at("state")), "open");
  const std::uint64_t received = static_cast<std::uint64_t>(AsInt(status.at("received")));
  EXPECT_EQ(received, 5 * kMiB);

  Reply wrong = Put(id, all.substr(received), received + 1);
  EXPECT_EQ(wrong.status, 409u) << wrong;
  EXPECT_EQ(wrong.error_field(), "Upload-Offset") << wrong;
  EXPECT_NE(wrong.error_message().find(std::to_string(received)), std::string::npos) << wrong;

  Reply rest = Put(id, all.substr(received), received);
  ASSERT_EQ(rest.status, 201u) << rest;
  EXPECT_EQ(AsString(rest.json().at("sm3")), Sm3Of(all));
  EXPECT_EQ(AsInt(rest.json().at("size")), static_cast<std::int64_t>(kSize));

  Reply done = officer_->Get("/api/v1/uploads/" + id);
  ASSERT_EQ(done.status, 200u) << done;
  EXPECT_EQ(AsString(done.json().at("state")), "done");
  EXPECT_EQ(AsInt(done.json().at("evidence_id")), AsInt(rest.json().at("id")));
}

TEST_F(EvidenceTest, PartialBodiesAddUpToTheWholeFile) {
  const std::string all = VideoBytes(3).Range(0, 300'000);
  std::string id = Open("分段.mp4", all.size());
  Reply first = Put(id, all.substr(0, 100'000), 0);
  ASSERT_EQ(first.status, 200u) << first;
  EXPECT_EQ(AsInt(first.json().at("received")), 100'000);
  EXPECT_EQ(AsString(first.json().at("state")), "open");
  Reply second = Put(id, all.substr(100'000), 100'000);
  ASSERT_EQ(second.status, 201u) << second;
  EXPECT_EQ(AsString(second.json().at("sm3")), Sm3Of(all));
}

TEST_F(EvidenceTest, ExecutableNamedLikeAVideoIsRefusedAndNotStored) {
  std::string elf(
      "\x7F"
      "ELF\x02\x01\x01\x00",
      8);
  elf.resize(64 * 1024, '\0');
  elf += "MZ this program cannot be run in DOS mode";
  std::string id = Open("video.mp4", elf.size());
  Reply reply = Put(id, elf);
  EXPECT_EQ(reply.status, 415u) << reply;
  EXPECT_EQ(reply.error_field(), "media_type") << reply;

  std::string sm3 = Sm3Of(elf);
  EXPECT_FALSE(fs::exists(server_->data_dir() / "files" / "sm3" / sm3.substr(0, 2) /
                          sm3.substr(2, 2) / sm3));
  EXPECT_FALSE(fs::exists(server_->data_dir() / "files" / "tmp" / id));
  Reply status = officer_->Get("/api/v1/uploads/" + id);
  ASSERT_EQ(status.status, 200u) << status;
  EXPECT_EQ(AsString(status.json().at("state")), "aborted");
  for (const auto& item : ListAll(*officer_, "/api/v1/evidence")) {
    EXPECT_NE(AsString(item.at("sm3")), sm3);
  }
}

TEST_F(EvidenceTest, DeclaredSizeOverTheLimitIsRefusedWith413) {
  Reply reply =
      officer_->Post("/api/v1/uploads", UploadRequest("巨大.mp4", (std::uint64_t{4} << 30) + 1));
  EXPECT_EQ(reply.status, 413u) << reply;
  EXPECT_EQ(reply.error_field(), "size") << reply;
}

TEST_F(EvidenceTest, MissingProvenanceNamesTheField) {
  json::object request = UploadRequest("无来源.mp4", 100);
  request.erase("source");
  Reply reply = officer_->Post("/api/v1/uploads", request);
  EXPECT_EQ(reply.status, 400u) << reply;
  EXPECT_EQ(reply.error_field(), "source") << reply;

  request = UploadRequest("无取证人.mp4", 100);
  request.erase("captured_by");
  request.erase("device_id");
  reply = officer_->Post("/api/v1/uploads", request);
  EXPECT_EQ(reply.status, 400u) << reply;
  EXPECT_EQ(reply.error_field(), "captured_by") << reply;
}

TEST_F(EvidenceTest, RangeDownloadAnswersTheExactBytes) {
  const std::string data = VideoBytes(4).Range(0, 50'000);
  json::value evidence = UploadSmall("片段.mp4", data);
  const std::string content = AsString(evidence.at("content_url"));

  Reply part = officer_->Get(content, {{"Range", "bytes=1000-1999"}});
  ASSERT_EQ(part.status, 206u) << part;
  EXPECT_EQ(part.body, data.substr(1000, 1000));
  EXPECT_EQ(part.header("Content-Range"), "bytes 1000-1999/50000");
  EXPECT_EQ(part.header("ETag"), "\"sm3:" + AsString(evidence.at("sm3")) + "\"");

  Reply whole = officer_->Get(content);
  ASSERT_EQ(whole.status, 200u) << whole;
  EXPECT_EQ(whole.body, data);
  EXPECT_EQ(whole.header("Content-Type"), "video/mp4");
  EXPECT_NE(whole.header("Content-Disposition").find("attachment"), std::string::npos);
}

TEST_F(EvidenceTest, EveryDownloadIsAnEventTheAuditAdministratorSees) {
  json::value evidence = UploadSmall("调阅.mp4", VideoBytes(5).Range(0, 20'000));
  const std::string id = std::to_string(AsInt(evidence.at("id")));
  const std::string content = AsString(evidence.at("content_url"));
  ASSERT_EQ(officer_->Get(content).status, 200u);
  ASSERT_EQ(officer_->Get(content, {{"Range", "bytes=0-9"}}).status, 206u);

  std::vector<json::object> events = ListAll(
      *auditor_, "/api/v1/audit/events?action=evidence.&object_type=evidence&object_id=" + id);
  int downloads = 0;
  bool uploaded = false;
  for (const auto& e : events) {
    if (AsString(e.at("action")) == "evidence.download") {
      ++downloads;
      EXPECT_EQ(AsString(e.at("actor_username")), "hzhb_officer");
      EXPECT_EQ(AsString(e.at("files").at(0).at("sm3")), AsString(evidence.at("sm3")));
    }
    if (AsString(e.at("action")) == "evidence.upload") {
      uploaded = true;
      EXPECT_EQ(AsString(e.at("files").at(0).at("sha256")), AsString(evidence.at("sha256")));
    }
  }
  EXPECT_EQ(downloads, 2);  // one per request, the Range request included
  EXPECT_TRUE(uploaded);

  // The audit administrator reads every unit's files, and that is recorded too.
  Reply audited = auditor_->Get("/api/v1/evidence/" + id);
  ASSERT_EQ(audited.status, 200u) << audited;
  std::vector<json::object> views = ListAll(
      *auditor_, "/api/v1/audit/events?action=evidence.view&object_type=evidence&object_id=" + id);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(AsString(views[0].at("actor_username")), "auditadmin");
}

TEST_F(EvidenceTest, AnotherUnitsUserGets404ForFilesAndUploads) {
  json::value evidence = UploadSmall("本单位.mp4", VideoBytes(6).Range(0, 10'000));
  const std::string id = std::to_string(AsInt(evidence.at("id")));
  EXPECT_EQ(judge_->Get("/api/v1/evidence/" + id).status, 404u);
  EXPECT_EQ(judge_->Get("/api/v1/evidence/" + id + "/content").status, 404u);
  for (const auto& item : ListAll(*judge_, "/api/v1/evidence")) {
    EXPECT_NE(std::to_string(AsInt(item.at("id"))), id);
  }
  std::string upload = Open("未完成.mp4", 1000);
  EXPECT_EQ(judge_->Get("/api/v1/uploads/" + upload).status, 404u);
  Reply put = judge_->Send("PUT", "/api/v1/uploads/" + upload, std::string(1000, 'x'),
                           "application/octet-stream");
  EXPECT_EQ(put.status, 404u) << put;
  EXPECT_EQ(judge_->Delete("/api/v1/uploads/" + upload).status, 404u);
  EXPECT_EQ(officer_->Delete("/api/v1/uploads/" + upload).status, 204u);
  EXPECT_EQ(AsString(officer_->Get("/api/v1/uploads/" + upload).json().at("state")), "aborted");
}

}  // namespace
}  // namespace lvyuan::http_test
