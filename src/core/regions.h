// The catalogue of administrative divisions (行政区划): provinces, prefectures,
// counties and townships, loaded from the CSV files in data/regions (see
// data/regions/SOURCE.md).
//
// Codes are normalised on load: provinces and prefectures to 6 digits
// ("33" → "330000", "3305" → "330500"), counties keep 6 digits and townships
// their 9 digits. Lookups take 6- or 9-digit codes.
//
// Thread safety: a loaded catalogue is immutable; any number of threads may
// call its const methods concurrently. Pointers it returns stay valid for the
// catalogue's lifetime (also across moves).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lvyuan::core {

enum class RegionLevel { kProvince, kCity, kCounty, kTownship };

struct Region {
  std::string code;         // 6 digits, or 9 for townships
  std::string name;         // e.g. "吴兴区"; statistical placeholders such as "市辖区" kept
  std::string parent_code;  // empty for provinces
  RegionLevel level = RegionLevel::kProvince;
};

class RegionCatalogue {
 public:
  // Reads provinces.csv, cities.csv, areas.csv and streets.csv from `dir`.
  // Columns are found by header name; fields may be double-quoted.
  // Returns NotFound if a file is missing, Internal for a malformed row, a
  // duplicate code or a row whose parent is unknown (naming file and line).
  static Result<RegionCatalogue> Load(const std::filesystem::path& dir);

  RegionCatalogue(RegionCatalogue&&) noexcept;
  RegionCatalogue& operator=(RegionCatalogue&&) noexcept;
  ~RegionCatalogue();

  // The region with this 6- or 9-digit code, or nullptr.
  const Region* Find(std::string_view code) const;

  // The direct subdivisions of `parent` ordered by code; the provinces when
  // `parent` is empty; empty for an unknown code or a township.
  std::vector<const Region*> Children(std::string_view parent) const;

  // Province first, down to the region itself; empty for an unknown code.
  std::vector<const Region*> Path(std::string_view code) const;

  // The names along Path() joined, e.g. "浙江省湖州市吴兴区". Statistical
  // placeholder levels ("市辖区", "县", "省直辖县级行政区划", ...) are left out,
  // so 110101 gives "北京市东城区". Empty for an unknown code.
  std::string FullName(std::string_view code) const;

  // Ok if `code` names a region; otherwise InvalidArgument carrying `field`
  // ("行政区划代码不存在", or a format message when it is not 6 or 9 digits).
  Status Validate(std::string_view code, std::string field = "region_code") const;

  // Number of regions of every level.
  std::size_t size() const;

 private:
  struct Data;
  explicit RegionCatalogue(std::unique_ptr<const Data> data);

  std::unique_ptr<const Data> data_;
};

}  // namespace lvyuan::core
