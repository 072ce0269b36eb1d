// The demo at volume (`lvyuan demo --matters N`): after CreateDemo and
// CreateDemoMatters, enough matters for the deployment to hold N, spread the
// way a province's work is spread.
//
// Offices: the Huzhou demo units (湖州市生态环境局 with its police,
// procuratorate and the four partner agencies, unchanged) and, for every
// county-level region of Zhejiang in data/regions, a county ecology and
// environment bureau (湖州市生态环境局吴兴区分局) and police bureau
// (湖州市公安局吴兴区分局), each with one officer (zj<code>_officer,
// zj<code>_police; the demo password). About 40 % of the matters belong to
// 湖州市生态环境局, so that its users see a large share.
//
// Every matter is made by the real path: Matters::CreateInTransaction and
// ActInTransaction (the procedure engine, the same rows, numbers per
// unit/kind/year, participants, visibility, deadlines, notifications and one
// record event per change), with the time of each step taken from the story
// (creation dates spread over the five years before now, each later step a
// few hours or days after the one before). Stories reach every state of
// clue, transfer, criminal_transfer, consultation and notice; every
// environment domain and clue source is used; subjects are companies of a
// pool of valid credit codes. Many stories share one Write (a failure rolls
// its batch back and is returned).
//
// Top-up: the deployment ends with at least `matters` matters (stories open
// one to three each, the last ones chosen to end exactly there); when it
// holds that many already nothing is made. Deterministic for a given seed
// and starting state.
#pragma once

#include <cstdint>
#include <functional>

#include "core/clock.h"
#include "core/regions.h"
#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/evidence.h"
#include "domain/matters.h"
#include "store/database.h"

namespace lvyuan::domain {

struct DemoVolumeOptions {
  std::int64_t matters = 0;  // the total the deployment should hold
  std::string password = "Lvyuan@2026demo";
  std::uint64_t seed = 2026;
  int stories_per_write = 400;
  // Called after every Write with (matters now, target); may be empty.
  std::function<void(std::int64_t, std::int64_t)> progress;
};

struct DemoVolumeResult {
  std::int64_t matters_before = 0;
  std::int64_t matters_after = 0;
  int units_added = 0;
};

// Needs the demo deployment (CreateDemo, CreateDemoMatters): NotFound naming
// the first demo unit or user missing. Errors of the store and of the
// engine are returned as they are (a story the engine refuses is a bug).
Result<DemoVolumeResult> CreateDemoVolume(Accounts& accounts, Matters& matters, Evidence& evidence,
                                          store::Database& db, const Catalog& catalog,
                                          const core::RegionCatalogue& regions,
                                          const core::Clock& clock,
                                          const DemoVolumeOptions& options);

}  // namespace lvyuan::domain
