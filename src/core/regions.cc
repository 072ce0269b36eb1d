#include "core/regions.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <unordered_map>

namespace lvyuan::core {

struct RegionCatalogue::Data {
  std::vector<Region> regions;
  // Code as a number (see CodeKey) → position in `regions`.
  std::unordered_map<std::uint64_t, std::uint32_t> index;
  std::vector<std::vector<std::uint32_t>> children;  // parallel to regions
  std::vector<std::uint32_t> provinces;
};

namespace {

// Statistical codes give these names to prefecture rows that stand for "the
// districts/counties directly under the province or city"; they are not part
// of a place's name.
constexpr std::array<std::string_view, 5> kPlaceholderNames = {
    "市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位"};

bool IsPlaceholder(const Region& region) {
  return region.level == RegionLevel::kCity &&
         std::find(kPlaceholderNames.begin(), kPlaceholderNames.end(), region.name) !=
             kPlaceholderNames.end();
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A normalised code as an integer, the hash key. 6- and 9-digit codes cannot
// collide: township codes start with 1-9, so they are at least 100000000.
// Precondition: AllDigits(code).
std::uint64_t CodeKey(std::string_view code) {
  std::uint64_t key = 0;
  for (char c : code) {
    key = key * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return key;
}

// Pads a 2- or 4-digit code to the 6-digit form; other lengths are returned as
// they are.
std::string NormaliseCode(std::string_view code) {
  std::string out(code);
  if (out.size() == 2 || out.size() == 4) {
    out.append(6 - out.size(), '0');
  }
  return out;
}

// A minimal RFC 4180 reader over a whole file held in memory: fields split on
// ',', optionally double-quoted with "" as an escaped quote; CRLF or LF.
class CsvReader {
 public:
  explicit CsvReader(std::string text) : text_(std::move(text)) {
    if (text_.starts_with("\xEF\xBB\xBF")) {
      pos_ = 3;  // UTF-8 byte order mark
    }
  }

  // Reads the next non-empty record into `fields`. Returns false at the end
  // of input or on an unterminated quote (then `malformed()` is true).
  bool Next(std::vector<std::string>& fields) {
    fields.clear();
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
      if (text_[pos_] == '\n') {
        ++newlines_;
      }
      ++pos_;
    }
    if (pos_ >= text_.size()) {
      return false;
    }
    line_ = newlines_ + 1;
    std::string field;
    while (true) {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        ++pos_;
        while (true) {
          if (pos_ >= text_.size()) {
            malformed_ = true;
            return false;
          }
          const char c = text_[pos_++];
          if (c == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
              field.push_back('"');
              ++pos_;
            } else {
              break;
            }
          } else {
            if (c == '\n') {
              ++newlines_;
            }
            field.push_back(c);
          }
        }
      }
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
             text_[pos_] != '\r') {
        field.push_back(text_[pos_++]);
      }
      fields.push_back(std::move(field));
      field.clear();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return true;
    }
  }

  bool malformed() const { return malformed_; }
  // The line on which the record last returned by Next() starts.
  int line() const { return line_; }

 private:
  std::string text_;
  std::size_t pos_ = 0;
  int newlines_ = 0;
  int line_ = 0;
  bool malformed_ = false;
};

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return NotFound("行政区划数据文件不存在: " + path.filename().string());
  }
  std::string text(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
    return Internal("读取行政区划数据文件失败: " + path.filename().string());
  }
  return text;
}

struct FileSpec {
  std::string_view file;
  std::string_view parent_column;  // empty for provinces
  RegionLevel level;
  std::size_t code_length;  // digits in the file
};

class Builder {
 public:
  Builder() {
    regions_.reserve(45000);
    index_.reserve(45000);
  }

  Status LoadFile(const std::filesystem::path& dir, const FileSpec& spec) {
    const std::filesystem::path path = dir / std::string(spec.file);
    CsvReader reader(TRY(ReadFile(path)));
    const std::string where = std::string(spec.file) + ":";
    std::vector<std::string> fields;
    if (!reader.Next(fields)) {
      return Internal("行政区划数据文件为空: " + std::string(spec.file));
    }
    const auto column = [&fields](std::string_view name) -> int {
      const auto it = std::find(fields.begin(), fields.end(), name);
      return it == fields.end() ? -1 : static_cast<int>(std::distance(fields.begin(), it));
    };
    const int code_column = column("code");
    const int name_column = column("name");
    const int parent_column = spec.parent_column.empty() ? -1 : column(spec.parent_column);
    if (code_column < 0 || name_column < 0 || (!spec.parent_column.empty() && parent_column < 0)) {
      return Internal(where + " 表头缺少必需的列");
    }
    const auto needed =
        static_cast<std::size_t>(std::max({code_column, name_column, parent_column})) + 1;
    while (reader.Next(fields)) {
      // The "file:line" prefix of an error message, built only on failure.
      const auto line = [&where, &reader] { return where + std::to_string(reader.line()); };
      if (fields.size() < needed) {
        return Internal(line() + " 列数不足");
      }
      const std::string& raw_code = fields[static_cast<std::size_t>(code_column)];
      if (raw_code.size() != spec.code_length || !AllDigits(raw_code)) {
        return Internal(line() + " 区划代码格式错误: " + raw_code);
      }
      Region region;
      region.code = NormaliseCode(raw_code);
      region.name = std::move(fields[static_cast<std::size_t>(name_column)]);
      region.level = spec.level;
      if (parent_column >= 0) {
        region.parent_code = NormaliseCode(fields[static_cast<std::size_t>(parent_column)]);
        if (!AllDigits(region.parent_code) || !index_.contains(CodeKey(region.parent_code))) {
          return Internal(line() + " 上级区划不存在: " + region.parent_code);
        }
      }
      // 东莞市, 中山市 and 儋州市 have no counties; the statistics list each
      // again as its own county with the city's code. The city entry stands
      // for both, and their townships hang under it.
      if (region.code == region.parent_code) {
        continue;
      }
      const auto position = static_cast<std::uint32_t>(regions_.size());
      if (!index_.emplace(CodeKey(region.code), position).second) {
        return Internal(line() + " 区划代码重复: " + region.code);
      }
      regions_.push_back(std::move(region));
    }
    if (reader.malformed()) {
      return Internal(where + " 引号未闭合");
    }
    return Ok();
  }

  std::vector<Region> TakeRegions() { return std::move(regions_); }
  std::unordered_map<std::uint64_t, std::uint32_t> TakeIndex() { return std::move(index_); }

 private:
  std::vector<Region> regions_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_;
};

}  // namespace

RegionCatalogue::RegionCatalogue(std::unique_ptr<const Data> data) : data_(std::move(data)) {}
RegionCatalogue::RegionCatalogue(RegionCatalogue&&) noexcept = default;
RegionCatalogue& RegionCatalogue::operator=(RegionCatalogue&&) noexcept = default;
RegionCatalogue::~RegionCatalogue() = default;

Result<RegionCatalogue> RegionCatalogue::Load(const std::filesystem::path& dir) {
  auto data = std::make_unique<Data>();
  {
    Builder builder;
    static constexpr std::array<FileSpec, 4> kFiles = {{
        {"provinces.csv", "", RegionLevel::kProvince, 2},
        {"cities.csv", "provinceCode", RegionLevel::kCity, 4},
        {"areas.csv", "cityCode", RegionLevel::kCounty, 6},
        {"streets.csv", "areaCode", RegionLevel::kTownship, 9},
    }};
    for (const FileSpec& spec : kFiles) {
      Status loaded = builder.LoadFile(dir, spec);
      if (!loaded.ok()) {
        return std::move(loaded).error();
      }
    }
    data->regions = builder.TakeRegions();
    data->index = builder.TakeIndex();
  }
  const auto count = static_cast<std::uint32_t>(data->regions.size());
  data->children.resize(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const Region& region = data->regions[i];
    if (region.parent_code.empty()) {
      data->provinces.push_back(i);
    } else {
      data->children[data->index.at(CodeKey(region.parent_code))].push_back(i);
    }
  }
  const auto by_code = [&regions = data->regions](std::uint32_t a, std::uint32_t b) {
    return regions[a].code < regions[b].code;
  };
  std::sort(data->provinces.begin(), data->provinces.end(), by_code);
  for (auto& children : data->children) {
    std::sort(children.begin(), children.end(), by_code);
  }
  return RegionCatalogue(std::move(data));
}

const Region* RegionCatalogue::Find(std::string_view code) const {
  if ((code.size() != 6 && code.size() != 9) || !AllDigits(code)) {
    return nullptr;
  }
  const auto it = data_->index.find(CodeKey(code));
  return it == data_->index.end() ? nullptr : &data_->regions[it->second];
}

std::vector<const Region*> RegionCatalogue::Children(std::string_view parent) const {
  const std::vector<std::uint32_t>* indices = &data_->provinces;
  if (!parent.empty()) {
    const Region* region = Find(parent);
    if (region == nullptr) {
      return {};
    }
    indices = &data_->children[static_cast<std::size_t>(region - data_->regions.data())];
  }
  std::vector<const Region*> out;
  out.reserve(indices->size());
  for (std::uint32_t i : *indices) {
    out.push_back(&data_->regions[i]);
  }
  return out;
}

std::vector<const Region*> RegionCatalogue::Path(std::string_view code) const {
  std::vector<const Region*> out;
  for (const Region* region = Find(code); region != nullptr;
       region = region->parent_code.empty() ? nullptr : Find(region->parent_code)) {
    out.push_back(region);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string RegionCatalogue::FullName(std::string_view code) const {
  std::string out;
  for (const Region* region : Path(code)) {
    if (!IsPlaceholder(*region)) {
      out += region->name;
    }
  }
  return out;
}

Status RegionCatalogue::Validate(std::string_view code, std::string field) const {
  if ((code.size() != 6 && code.size() != 9) || !AllDigits(code)) {
    return InvalidArgument("行政区划代码应为6位或9位数字", std::move(field));
  }
  if (Find(code) == nullptr) {
    return InvalidArgument("行政区划代码不存在", std::move(field));
  }
  return Ok();
}

std::size_t RegionCatalogue::size() const { return data_->regions.size(); }

}  // namespace lvyuan::core
