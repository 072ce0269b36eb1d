// Test support: the shipped data (regions, calendar, roles, dictionaries,
// time limits, workflows/) loaded once per test binary.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/calendar.h"
#include "core/clock.h"
#include "core/regions.h"
#include "workflow/engine.h"
#include "workflow/guards.h"
#include "workflow/registry.h"

namespace lvyuan::workflow::testing {

inline const std::filesystem::path kRoot = LVYUAN_SOURCE_ROOT;

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) throw std::runtime_error(std::string(what) + ": " + r.error().ToString());
  return std::move(r).value();
}

struct Shipped {
  core::RegionCatalogue regions;
  core::WorkCalendar calendar;
  Catalogs catalogs;
  Registry registry;

  static const Shipped& Get() {
    static const std::unique_ptr<Shipped> shipped = [] {
      auto regions = Must(core::RegionCatalogue::Load(kRoot / "data/regions"), "regions");
      auto calendar = Must(core::WorkCalendar::Load(kRoot / "data/calendar"), "calendar");
      auto s = std::unique_ptr<Shipped>(
          new Shipped{std::move(regions), std::move(calendar), Catalogs{}, Registry{}});
      s->catalogs = Must(Catalogs::FromDataDir(kRoot / "data", s->regions), "catalogs");
      s->registry =
          Must(Registry::Load(kRoot / "workflows", s->catalogs, BuiltinGuards()), "workflows");
      return s;
    }();
    return *shipped;
  }

  const Definition& Def(std::string_view kind) const {
    const Definition* def = registry.Find(kind);
    if (def == nullptr) throw std::runtime_error("no definition " + std::string(kind));
    return *def;
  }
};

// Unix milliseconds of a China (UTC+8) local time "2026-02-13T10:00".
inline std::int64_t ChinaTime(std::string_view local) {
  std::int64_t ms = 0;
  const std::string utc = std::string(local) + ":00Z";
  if (!core::ParseIsoTime(utc, &ms)) throw std::runtime_error("bad time " + utc);
  return ms - 8 * 3'600'000;
}

}  // namespace lvyuan::workflow::testing
