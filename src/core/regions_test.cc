#include "core/regions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace lvyuan::core {
namespace {

const std::filesystem::path kRegionDir = std::filesystem::path(LVYUAN_SOURCE_ROOT) / "data/regions";

class RegionCatalogueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = RegionCatalogue::Load(kRegionDir);
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    catalogue_ = std::make_unique<RegionCatalogue>(std::move(loaded).value());
  }
  static void TearDownTestSuite() { catalogue_.reset(); }
  static const RegionCatalogue& catalogue() { return *catalogue_; }

 private:
  static std::unique_ptr<RegionCatalogue> catalogue_;
};

std::unique_ptr<RegionCatalogue> RegionCatalogueTest::catalogue_;

std::vector<std::string> Codes(const std::vector<const Region*>& regions) {
  std::vector<std::string> out;
  out.reserve(regions.size());
  for (const Region* r : regions) {
    out.push_back(r->code);
  }
  return out;
}

TEST_F(RegionCatalogueTest, LoadsEveryLevel) {
  // 31 + 342 + 2,978 + 41,352 rows, less the three cities listed again as counties.
  EXPECT_EQ(catalogue().size(), 31u + 342u + 2978u - 3u + 41352u);
}

TEST_F(RegionCatalogueTest, FindsCityWithNormalisedCodes) {
  const Region* huzhou = catalogue().Find("330500");
  ASSERT_NE(huzhou, nullptr);
  EXPECT_EQ(huzhou->name, "湖州市");
  EXPECT_EQ(huzhou->parent_code, "330000");
  EXPECT_EQ(huzhou->level, RegionLevel::kCity);
  const Region* zhejiang = catalogue().Find("330000");
  ASSERT_NE(zhejiang, nullptr);
  EXPECT_EQ(zhejiang->name, "浙江省");
  EXPECT_EQ(zhejiang->parent_code, "");
  EXPECT_EQ(zhejiang->level, RegionLevel::kProvince);
}

TEST_F(RegionCatalogueTest, PathRunsFromProvinceToCounty) {
  EXPECT_EQ(Codes(catalogue().Path("330502")),
            (std::vector<std::string>{"330000", "330500", "330502"}));
  EXPECT_EQ(catalogue().Find("330502")->level, RegionLevel::kCounty);
  EXPECT_EQ(catalogue().FullName("330502"), "浙江省湖州市吴兴区");
}

TEST_F(RegionCatalogueTest, ChildrenOfCityIncludeItsDistrictsInCodeOrder) {
  const std::vector<const Region*> children = catalogue().Children("330500");
  ASSERT_FALSE(children.empty());
  EXPECT_EQ(children.front()->code, "330502");
  EXPECT_EQ(children.front()->name, "吴兴区");
  for (std::size_t i = 1; i < children.size(); ++i) {
    EXPECT_LT(children[i - 1]->code, children[i]->code);
  }
  for (const Region* child : children) {
    EXPECT_EQ(child->parent_code, "330500");
  }
}

TEST_F(RegionCatalogueTest, EmptyParentGivesTheProvinces) {
  const std::vector<const Region*> provinces = catalogue().Children("");
  ASSERT_EQ(provinces.size(), 31u);
  EXPECT_EQ(provinces.front()->code, "110000");
  EXPECT_EQ(provinces.front()->name, "北京市");
  for (const Region* province : provinces) {
    EXPECT_EQ(province->level, RegionLevel::kProvince);
  }
}

TEST_F(RegionCatalogueTest, FindsTownshipByNineDigitCode) {
  const Region* street = catalogue().Find("110101001");
  ASSERT_NE(street, nullptr);
  EXPECT_EQ(street->name, "东华门街道");
  EXPECT_EQ(street->parent_code, "110101");
  EXPECT_EQ(street->level, RegionLevel::kTownship);
  EXPECT_EQ(Codes(catalogue().Path("110101001")),
            (std::vector<std::string>{"110000", "110100", "110101", "110101001"}));
  EXPECT_TRUE(catalogue().Children("110101001").empty());
}

TEST_F(RegionCatalogueTest, KeepsPlaceholderCitiesButLeavesThemOutOfFullNames) {
  const Region* placeholder = catalogue().Find("110100");
  ASSERT_NE(placeholder, nullptr);
  EXPECT_EQ(placeholder->name, "市辖区");
  EXPECT_EQ(placeholder->parent_code, "110000");
  EXPECT_EQ(catalogue().FullName("110101"), "北京市东城区");
  EXPECT_EQ(catalogue().FullName("110101001"), "北京市东城区东华门街道");
}

TEST_F(RegionCatalogueTest, CityWithoutCountiesHoldsItsTownships) {
  const Region* dongguan = catalogue().Find("441900");
  ASSERT_NE(dongguan, nullptr);
  EXPECT_EQ(dongguan->level, RegionLevel::kCity);
  const std::vector<const Region*> towns = catalogue().Children("441900");
  ASSERT_FALSE(towns.empty());
  EXPECT_EQ(towns.front()->level, RegionLevel::kTownship);
  EXPECT_EQ(catalogue().Path(towns.front()->code).size(), 3u);
}

TEST_F(RegionCatalogueTest, RejectsUnknownCodes) {
  EXPECT_EQ(catalogue().Find("339999"), nullptr);
  EXPECT_EQ(catalogue().Find("33"), nullptr);
  EXPECT_EQ(catalogue().Find("33050"), nullptr);
  EXPECT_EQ(catalogue().Find("33050a"), nullptr);
  EXPECT_TRUE(catalogue().Path("339999").empty());
  EXPECT_TRUE(catalogue().Children("339999").empty());
  EXPECT_EQ(catalogue().FullName("339999"), "");

  const Status unknown = catalogue().Validate("339999", "subject.region_code");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().message, "行政区划代码不存在");
  EXPECT_EQ(unknown.error().field, "subject.region_code");
  EXPECT_EQ(catalogue().Validate("3305").error().field, "region_code");
  EXPECT_TRUE(catalogue().Validate("330502").ok());
  EXPECT_TRUE(catalogue().Validate("110101001").ok());
}

TEST(RegionCatalogueLoadTest, ReportsMissingDirectoryAsNotFound) {
  auto loaded = RegionCatalogue::Load(kRegionDir / "no-such-dir");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kNotFound);
}

class RegionCatalogueFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lvyuan_regions_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
    Write("provinces.csv", "code,name\r\n33,\"浙江省\"\r\n");
    Write("cities.csv", "code,name,provinceCode\n3305,\"湖州市\",33\n");
    Write("areas.csv", "code,name,cityCode,provinceCode\n330502,\"吴兴区\",3305,33\n");
    Write("streets.csv", "code,name,areaCode,provinceCode,cityCode\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(RegionCatalogueFilesTest, ReadsQuotedFieldsWithEscapedQuotesAndCrlf) {
  Write("streets.csv",
        "provinceCode,cityCode,areaCode,name,code\n33,3305,330502,\"甲\"\"乙,丙\"\"街道\","
        "330502001\n");
  auto loaded = RegionCatalogue::Load(dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  ASSERT_NE(loaded->Find("330502001"), nullptr);
  EXPECT_EQ(loaded->Find("330502001")->name, "甲\"乙,丙\"街道");
  EXPECT_EQ(loaded->size(), 4u);
}

TEST_F(RegionCatalogueFilesTest, RejectsRowWhoseParentIsUnknown) {
  Write("areas.csv", "code,name,cityCode,provinceCode\n330502,\"吴兴区\",3399,33\n");
  auto loaded = RegionCatalogue::Load(dir_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kInternal);
  EXPECT_NE(loaded.error().message.find("areas.csv:2"), std::string::npos)
      << loaded.error().message;
}

TEST_F(RegionCatalogueFilesTest, RejectsDuplicateCodesAndUnterminatedQuotes) {
  Write("cities.csv", "code,name,provinceCode\n3305,\"湖州市\",33\n3305,\"湖州市\",33\n");
  EXPECT_FALSE(RegionCatalogue::Load(dir_).ok());
  Write("cities.csv", "code,name,provinceCode\n3305,\"湖州市,33\n");
  EXPECT_FALSE(RegionCatalogue::Load(dir_).ok());
}

}  // namespace
}  // namespace lvyuan::core
