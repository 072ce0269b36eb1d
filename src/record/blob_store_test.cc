#include "record/blob_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/hash.h"

namespace lvyuan::record {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> RandomBytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 engine(seed);
  std::vector<std::uint8_t> bytes(size);
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(engine());
  return bytes;
}

std::span<const std::uint8_t> Span(const std::vector<std::uint8_t>& bytes, std::size_t from,
                                   std::size_t count) {
  return std::span<const std::uint8_t>(bytes).subspan(from, count);
}

std::span<const std::uint8_t> Span(std::string_view text) { return core::AsBytes(text); }

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("lvyuan_blob_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override {
    std::error_code ec;
    // Committed blobs are read-only; make them removable again.
    for (auto it = fs::recursive_directory_iterator(root_, ec);
         !ec && it != fs::recursive_directory_iterator(); ++it) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(root_, ec);
  }

  std::size_t TempFileCount() const {
    std::error_code ec;
    std::size_t count = 0;
    for (auto it = fs::directory_iterator(root_ / "tmp", ec); !ec && it != fs::directory_iterator();
         ++it) {
      ++count;
    }
    return count;
  }

  BlobInfo Store(BlobStore& store, std::string_view upload_id, std::string_view content) {
    auto writer = store.Begin(upload_id);
    EXPECT_TRUE(writer.ok()) << writer.error().ToString();
    EXPECT_TRUE(writer->Write(Span(content)).ok());
    auto info = writer->Commit();
    EXPECT_TRUE(info.ok()) << info.error().ToString();
    return info.value();
  }

  fs::path root_;
};

// ---- writing, committing, deduplication ------------------------------------------

TEST_F(BlobStoreTest, StreamedChunksGiveTheDigestsOfTheWhole) {
  BlobStore store(root_);
  std::vector<std::uint8_t> content = RandomBytes(3 * 1024 * 1024 + 17, 1);
  auto writer = store.Begin("upload-1");
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  std::size_t at = 0;
  std::size_t step = 1;
  while (at < content.size()) {  // uneven chunk sizes, 1 byte up to 64 KiB
    std::size_t count = std::min(step, content.size() - at);
    ASSERT_TRUE(writer->Write(Span(content, at, count)).ok());
    at += count;
    step = step * 3 % 65521 + 1;
  }
  EXPECT_EQ(writer->size(), content.size());
  auto info = writer->Commit();
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->sm3_hex, core::HexEncode(crypto::Sm3(content)));
  EXPECT_EQ(info->sha256_hex, core::HexEncode(crypto::Sha256(content)));
  EXPECT_EQ(info->size, content.size());
  EXPECT_FALSE(info->already_existed);

  auto path = store.PathOf(info->sm3_hex);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, root_ / "sm3" / info->sm3_hex.substr(0, 2) / info->sm3_hex.substr(2, 2) /
                       info->sm3_hex);
  EXPECT_EQ(fs::file_size(*path), content.size());
  EXPECT_TRUE(store.Exists(info->sm3_hex));
  EXPECT_EQ(TempFileCount(), 0u);
}

TEST_F(BlobStoreTest, CommittedBlobIsReadOnly) {
  BlobStore store(root_);
  BlobInfo info = Store(store, "ro", "现场检查笔录");
  auto perms = fs::status(store.PathOf(info.sm3_hex).value()).permissions();
  EXPECT_EQ(perms & fs::perms::owner_write, fs::perms::none);
}

TEST_F(BlobStoreTest, DuplicateContentIsStoredOnce) {
  BlobStore store(root_);
  BlobInfo first = Store(store, "first", "排污口照片");
  BlobInfo second = Store(store, "second", "排污口照片");
  EXPECT_FALSE(first.already_existed);
  EXPECT_TRUE(second.already_existed);
  EXPECT_EQ(first.sm3_hex, second.sm3_hex);
  std::size_t blobs = 0;
  for (auto& entry : fs::recursive_directory_iterator(root_ / "sm3")) {
    if (entry.is_regular_file()) ++blobs;
  }
  EXPECT_EQ(blobs, 1u);
  EXPECT_EQ(TempFileCount(), 0u);
}

TEST_F(BlobStoreTest, EmptyUploadIsABlobToo) {
  BlobStore store(root_);
  auto writer = store.Begin("empty");
  ASSERT_TRUE(writer.ok());
  auto info = writer->Commit();
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->sm3_hex, core::HexEncode(crypto::Sm3(std::string_view())));
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->media_type, "application/octet-stream");
}

TEST_F(BlobStoreTest, CommitReportsSniffedMediaType) {
  BlobStore store(root_);
  BlobInfo info = Store(store, "pdf", "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n");
  EXPECT_EQ(info.media_type, "application/pdf");
}

TEST_F(BlobStoreTest, WriteAfterCommitIsFailedPrecondition) {
  BlobStore store(root_);
  auto writer = store.Begin("done");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->Commit().ok());
  core::Status late = writer->Write(Span("x"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, core::ErrorCode::kFailedPrecondition);
}

// ---- abort and resume ------------------------------------------------------------

TEST_F(BlobStoreTest, DestroyedWriterRemovesItsTempFile) {
  BlobStore store(root_);
  {
    auto writer = store.Begin("dropped");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->Write(Span("partial")).ok());
    EXPECT_EQ(TempFileCount(), 1u);
  }
  EXPECT_EQ(TempFileCount(), 0u);
  EXPECT_EQ(store.Resume("dropped").error().code, core::ErrorCode::kNotFound);
}

TEST_F(BlobStoreTest, ResumeAfterDroppedConnectionGivesTheOneShotDigest) {
  BlobStore store(root_);
  std::vector<std::uint8_t> content = RandomBytes(2 * 1024 * 1024 + 12345, 2);
  std::size_t cut = 1024 * 1024 + 777;  // not a multiple of the 1 MiB re-hash chunk
  {
    auto writer = store.Begin("video-7");
    ASSERT_TRUE(writer.ok());
    writer->set_keep_partial(true);
    ASSERT_TRUE(writer->Write(Span(content, 0, cut)).ok());
  }  // the connection dropped
  EXPECT_EQ(TempFileCount(), 1u);

  auto resumed = store.Resume("video-7");
  ASSERT_TRUE(resumed.ok()) << resumed.error().ToString();
  EXPECT_EQ(resumed->size(), cut);
  EXPECT_TRUE(resumed->keep_partial());
  ASSERT_TRUE(resumed->Write(Span(content, cut, content.size() - cut)).ok());
  auto info = resumed->Commit();
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->sm3_hex, core::HexEncode(crypto::Sm3(content)));
  EXPECT_EQ(info->sha256_hex, core::HexEncode(crypto::Sha256(content)));
  EXPECT_EQ(info->size, content.size());
  EXPECT_EQ(TempFileCount(), 0u);
}

TEST_F(BlobStoreTest, ResumeWhileWriterIsOpenIsAborted) {
  BlobStore store(root_);
  auto writer = store.Begin("busy");
  ASSERT_TRUE(writer.ok());
  auto second = store.Resume("busy");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, core::ErrorCode::kAborted);
  EXPECT_EQ(store.DiscardUpload("busy").error().code, core::ErrorCode::kAborted);
}

TEST_F(BlobStoreTest, BeginOnKeptUploadIsAlreadyExists) {
  BlobStore store(root_);
  {
    auto writer = store.Begin("kept");
    ASSERT_TRUE(writer.ok());
    writer->set_keep_partial(true);
    ASSERT_TRUE(writer->Write(Span("abc")).ok());
  }
  auto again = store.Begin("kept");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, core::ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().field, "upload_id");
  ASSERT_TRUE(store.DiscardUpload("kept").ok());
  EXPECT_TRUE(store.Begin("kept").ok());
}

TEST_F(BlobStoreTest, ResumedWriterAbortKeepsTheData) {
  BlobStore store(root_);
  {
    auto writer = store.Begin("twice");
    ASSERT_TRUE(writer.ok());
    writer->set_keep_partial(true);
    ASSERT_TRUE(writer->Write(Span("first part,")).ok());
  }
  {
    auto resumed = store.Resume("twice");
    ASSERT_TRUE(resumed.ok());
    ASSERT_TRUE(resumed->Write(Span("second part")).ok());
    resumed->Abort();
  }
  auto last = store.Resume("twice");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->size(), std::string_view("first part,second part").size());
  auto info = last->Commit();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->sm3_hex, core::HexEncode(crypto::Sm3("first part,second part")));
}

TEST_F(BlobStoreTest, RejectsMalformedUploadIds) {
  BlobStore store(root_);
  for (std::string bad : {std::string(), std::string("../escape"), std::string("a b"),
                          std::string("中文"), std::string(65, 'a'), std::string("a/b")}) {
    auto writer = store.Begin(bad);
    ASSERT_FALSE(writer.ok()) << bad;
    EXPECT_EQ(writer.error().code, core::ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(writer.error().field, "upload_id");
  }
  EXPECT_TRUE(ValidateUploadId(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateUploadId("Upload_2024-01").ok());
  EXPECT_FALSE(fs::exists(root_ / "escape"));
}

// ---- lookup and verification -----------------------------------------------------

TEST_F(BlobStoreTest, PathOfRejectsMalformedAddressAndReportsMissingBlob) {
  BlobStore store(root_);
  auto malformed = store.PathOf("../../etc/passwd");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(malformed.error().field, "sm3");
  std::string upper(64, 'A');
  EXPECT_EQ(store.PathOf(upper).error().code, core::ErrorCode::kInvalidArgument);
  auto missing = store.PathOf(std::string(64, 'a'));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
  EXPECT_FALSE(store.Exists(std::string(64, 'a')));
}

TEST_F(BlobStoreTest, VerifyBlobDetectsOneChangedByte) {
  BlobStore store(root_);
  std::vector<std::uint8_t> content = RandomBytes(1500 * 1024, 3);
  auto writer = store.Begin("verify");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->Write(content).ok());
  BlobInfo info = writer->Commit().value();
  EXPECT_TRUE(store.VerifyBlob(info.sm3_hex).ok());

  fs::path path = store.PathOf(info.sm3_hex).value();
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1200 * 1024);
    file.put(static_cast<char>(content[1200 * 1024] ^ 0x01));
  }
  core::Status verified = store.VerifyBlob(info.sm3_hex);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, core::ErrorCode::kDataLoss);
  EXPECT_NE(verified.error().message.find(info.sm3_hex), std::string::npos);
}

TEST_F(BlobStoreTest, VerifyBlobOfMissingBlobIsNotFound) {
  BlobStore store(root_);
  EXPECT_EQ(store.VerifyBlob(std::string(64, 'b')).error().code, core::ErrorCode::kNotFound);
}

// ---- media type sniffing ---------------------------------------------------------

std::string Sniff(std::string_view bytes) { return SniffMediaType(core::AsBytes(bytes)); }

std::string Le16(std::uint16_t value) {
  return {static_cast<char>(value & 0xFF), static_cast<char>(value >> 8)};
}
std::string Le32(std::uint32_t value) {
  return Le16(static_cast<std::uint16_t>(value & 0xFFFF)) +
         Le16(static_cast<std::uint16_t>(value >> 16));
}

// A ZIP local file header followed by `data`, stored (no compression). With
// `descriptor` the sizes are left out of the header, as streaming zippers do.
std::string ZipEntry(std::string_view name, std::string_view data, bool descriptor = false) {
  std::string entry("PK\x03\x04", 4);
  entry += Le16(20) + Le16(descriptor ? 0x8 : 0) + Le16(0) + Le32(0) + Le32(0);
  std::uint32_t size = descriptor ? 0 : static_cast<std::uint32_t>(data.size());
  entry += Le32(size) + Le32(size);
  entry += Le16(static_cast<std::uint16_t>(name.size())) + Le16(0);
  entry += name;
  entry += data;
  if (descriptor) entry += std::string("PK\x07\x08", 4) + Le32(0) + Le32(0) + Le32(0);
  return entry;
}

std::string Ftyp(std::string_view brand) {
  return std::string("\0\0\0\x18", 4) + "ftyp" + std::string(brand) + std::string(4, '\0') +
         "isommp41";
}

TEST(SniffMediaTypeTest, RecognisesImages) {
  EXPECT_EQ(Sniff("%PDF-1.4\n"), "application/pdf");
  EXPECT_EQ(Sniff("\xFF\xD8\xFF\xE0\0\x10JFIF"), "image/jpeg");
  EXPECT_EQ(Sniff("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"), "image/png");
  EXPECT_EQ(Sniff("GIF89a\x01\0\x01\0"), "image/gif");
  EXPECT_EQ(Sniff("GIF87a\x01\0\x01\0"), "image/gif");
  EXPECT_EQ(Sniff(std::string("RIFF\x24\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(Sniff(std::string("II*\0\x08\0\0\0", 8)), "image/tiff");
  EXPECT_EQ(Sniff(std::string("MM\0*\0\0\0\x08", 8)), "image/tiff");
  EXPECT_EQ(Sniff(Ftyp("heic")), "image/heic");
  EXPECT_EQ(Sniff(Ftyp("mif1")), "image/heif");
}

TEST(SniffMediaTypeTest, RecognisesVideoAndAudio) {
  EXPECT_EQ(Sniff(Ftyp("isom")), "video/mp4");
  EXPECT_EQ(Sniff(Ftyp("mp41")), "video/mp4");
  EXPECT_EQ(Sniff(Ftyp("mp42")), "video/mp4");
  EXPECT_EQ(Sniff(Ftyp("qt  ")), "video/quicktime");
  EXPECT_EQ(Sniff(Ftyp("M4A ")), "audio/mp4");
  EXPECT_EQ(Sniff(std::string("RIFF\x24\0\0\0AVI LIST", 16)), "video/x-msvideo");
  EXPECT_EQ(Sniff(std::string("RIFF\x24\0\0\0WAVEfmt ", 16)), "audio/wav");
  EXPECT_EQ(Sniff(std::string("ID3\x04\0\0\0\0\0\0", 10)), "audio/mpeg");
  EXPECT_EQ(Sniff(std::string("\xFF\xFB\x90\x64\0\0", 6)), "audio/mpeg");  // MPEG-1 layer III
  EXPECT_EQ(Sniff(std::string("OggS\0\x02", 6) + std::string(22, '\0') + "\x01vorbis"),
            "audio/ogg");
  EXPECT_EQ(Sniff(std::string("OggS\0\x02", 6) + std::string(22, '\0') + "\x80theora"),
            "video/ogg");
}

TEST(SniffMediaTypeTest, UnknownIsoBrandAndBadFrameSyncAreNotGuessed) {
  EXPECT_EQ(Sniff(Ftyp("zzzz")), "application/octet-stream");
  // 0xFFF1 is AAC ADTS (layer bits 00), not MPEG audio layer I-III.
  EXPECT_EQ(Sniff(std::string("\xFF\xF1\x50\x80\0\0", 6)), "application/octet-stream");
}

TEST(SniffMediaTypeTest, TellsOfficeDocumentsOfdAndZipApart) {
  std::string content_types = ZipEntry("[Content_Types].xml", "<Types/>");
  std::string rels = ZipEntry("_rels/.rels", "<Relationships/>");
  EXPECT_EQ(Sniff(content_types + rels + ZipEntry("word/document.xml", "<w:document/>")),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_EQ(Sniff(content_types + rels + ZipEntry("xl/workbook.xml", "<workbook/>")),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(Sniff(ZipEntry("OFD.xml", "<ofd:OFD/>") + ZipEntry("Doc_0/Document.xml", "<x/>")),
            "application/ofd");
  EXPECT_EQ(Sniff(ZipEntry("photos/1.jpg", "\xFF\xD8\xFF")), "application/zip");
  // Sizes in data descriptors: the walker searches for the next header.
  EXPECT_EQ(Sniff(ZipEntry("[Content_Types].xml", "<Types/>", true) +
                  ZipEntry("word/document.xml", "<w:document/>", true)),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
}

TEST(SniffMediaTypeTest, Utf8TextIsPlainTextAndBinaryIsOctetStream) {
  EXPECT_EQ(Sniff("湖州市生态环境局\n现场检查笔录\r\n\t第一页"), "text/plain; charset=utf-8");
  EXPECT_EQ(Sniff("\xEF\xBB\xBFwith BOM"), "text/plain; charset=utf-8");
  EXPECT_EQ(Sniff(std::string("text\0with nul", 13)), "application/octet-stream");
  EXPECT_EQ(Sniff("\xC3\x28 invalid utf-8"), "application/octet-stream");
  EXPECT_EQ(Sniff("\xED\xA0\x80 surrogate"), "application/octet-stream");
  EXPECT_EQ(Sniff("MZ\x90\x00"), "application/octet-stream");
  EXPECT_EQ(Sniff(""), "application/octet-stream");
  // A prefix that ends inside a character is still text.
  EXPECT_EQ(Sniff("长文本\xE6\xB9"), "text/plain; charset=utf-8");
}

TEST(SniffMediaTypeTest, ContentWinsOverWhatTheNameClaims) {
  // A PNG renamed report.pdf is still a PNG; the store never sees the name.
  EXPECT_EQ(Sniff("\x89PNG\r\n\x1A\n"), "image/png");
  EXPECT_EQ(Sniff("<html><script>alert(1)</script>"), "text/plain; charset=utf-8");
}

// ---- file names ------------------------------------------------------------------

TEST(SanitizeFilenameTest, DropsPathComponents) {
  EXPECT_EQ(SanitizeFilename("../../etc/passwd"), "passwd");
  EXPECT_EQ(SanitizeFilename("C:\\Users\\张三\\现场照片.jpg"), "现场照片.jpg");
  EXPECT_EQ(SanitizeFilename("a/b\\c.txt"), "c.txt");
  EXPECT_EQ(SanitizeFilename("dir/"), "file");
}

TEST(SanitizeFilenameTest, KeepsChineseNames) {
  EXPECT_EQ(SanitizeFilename("中文名.pdf"), "中文名.pdf");
  EXPECT_EQ(SanitizeFilename("行政处罚决定书（2024）第3号.docx"),
            "行政处罚决定书（2024）第3号.docx");
}

TEST(SanitizeFilenameTest, PrefixesReservedWindowsNames) {
  EXPECT_EQ(SanitizeFilename("CON.txt"), "_CON.txt");
  EXPECT_EQ(SanitizeFilename("con"), "_con");
  EXPECT_EQ(SanitizeFilename("LPT1.log"), "_LPT1.log");
  EXPECT_EQ(SanitizeFilename("COM9"), "_COM9");
  EXPECT_EQ(SanitizeFilename("CONTRACT.txt"), "CONTRACT.txt");
  EXPECT_EQ(SanitizeFilename("COM10.txt"), "COM10.txt");
}

TEST(SanitizeFilenameTest, DropsControlAndBidiCharacters) {
  EXPECT_EQ(SanitizeFilename("\x01"
                             "a"),
            "a");
  EXPECT_EQ(SanitizeFilename("line\nbreak\t.txt"), "linebreak.txt");
  EXPECT_EQ(SanitizeFilename("invoice\u202Efdp.exe"), "invoicefdp.exe");
  EXPECT_EQ(SanitizeFilename("bad\xFFutf8.txt"), "badutf8.txt");
  EXPECT_EQ(SanitizeFilename("a<b>:c\"d|e?f*.txt"), "a_b__c_d_e_f_.txt");
}

TEST(SanitizeFilenameTest, DropsLeadingDotsAndTrailingDotsAndSpaces) {
  EXPECT_EQ(SanitizeFilename(".htaccess"), "htaccess");
  EXPECT_EQ(SanitizeFilename("...hidden.txt"), "hidden.txt");
  EXPECT_EQ(SanitizeFilename("  name.txt. . "), "name.txt");
  EXPECT_EQ(SanitizeFilename(".."), "file");
}

TEST(SanitizeFilenameTest, IsNeverEmpty) {
  EXPECT_EQ(SanitizeFilename(""), "file");
  EXPECT_EQ(SanitizeFilename("\x01\x02"), "file");
  EXPECT_EQ(SanitizeFilename("/"), "file");
}

TEST(SanitizeFilenameTest, TrimsLongNamesOnACharacterBoundaryKeepingTheExtension) {
  std::string long_name;
  for (int i = 0; i < 100; ++i) long_name += "污";  // 3 bytes each
  long_name += ".mp4";
  std::string clean = SanitizeFilename(long_name);
  EXPECT_LE(clean.size(), 200u);
  EXPECT_TRUE(clean.ends_with(".mp4")) << clean;
  std::string stem = clean.substr(0, clean.size() - 4);
  EXPECT_EQ(stem.size() % 3, 0u);  // whole characters only
  EXPECT_EQ(stem.size(), 195u);
  std::string ascii(300, 'x');
  EXPECT_EQ(SanitizeFilename(ascii), std::string(200, 'x'));
}

}  // namespace
}  // namespace lvyuan::record
