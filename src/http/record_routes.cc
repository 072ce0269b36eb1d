// The whole-process record's routes: the public key, checkpoints and
// consistency proofs for anyone (a witness, a court, a party), and an
// event's inclusion proof for those allowed to see the event.
#include <boost/json.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "domain/record_access.h"
#include "http/json.h"
#include "http/route_helpers.h"
#include "http/routes.h"

namespace lvyuan::http {
namespace json = boost::json;
using core::Result;

namespace {

json::array HashList(const std::vector<record::Hash>& hashes) {
  json::array out;
  for (const auto& h : hashes) out.emplace_back(core::HexEncode(h));
  return out;
}

json::object CheckpointJson(const domain::CheckpointView& v) {
  json::array cosignatures;
  for (const auto& c : v.cosignatures) {
    cosignatures.push_back(json::object{{"witness", c.witness},
                                        {"key_id", c.key_id},
                                        {"signature", core::Base64Encode(c.signature)},
                                        {"at", core::FormatIsoUtc(c.at)}});
  }
  const auto& c = v.checkpoint;
  return json::object{{"size", c.size},
                      {"root", core::HexEncode(c.root)},
                      {"at", core::FormatIsoUtc(c.at)},
                      {"key_id", c.key_id},
                      {"body", c.body},
                      {"signature", core::Base64Encode(c.signature)},
                      {"signed_note", v.signed_note},
                      {"cosignatures", std::move(cosignatures)}};
}

Result<std::uint64_t> SizeQuery(const Request& r, std::string_view name) {
  auto v = TRY(IntQuery(r, name));
  if (!v || *v < 1) return core::InvalidArgument("应为正整数（树大小）", std::string(name));
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

void AddRecordRoutes(Router& router, const Services& services) {
  domain::RecordAccess* record = services.record;

  router.Add({.method = Verb::get,
              .pattern = "/api/public/record/key",
              .auth = Auth::kPublic,
              .handler = Wrap([record](Request&) -> Result<Response> {
                const domain::RecordKeyInfo k = record->Key();
                return JsonResponse(200, json::object{{"algorithm", k.algorithm},
                                                      {"key_id", k.key_id},
                                                      {"public_key_pem", k.public_key_pem},
                                                      {"origin", k.origin},
                                                      {"hash", k.hash}});
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/public/record/checkpoints/latest",
              .auth = Auth::kPublic,
              .handler = Wrap([record](Request&) -> Result<Response> {
                return JsonResponse(200, CheckpointJson(TRY(record->LatestCheckpoint())));
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/public/record/checkpoints/{size}",
              .auth = Auth::kPublic,
              .handler = Wrap([record](Request& r) -> Result<Response> {
                const std::int64_t size = TRY(r.PathId("size"));
                return JsonResponse(200, CheckpointJson(TRY(record->CheckpointAt(size))));
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/public/record/consistency",
              .auth = Auth::kPublic,
              .handler = Wrap([record](Request& r) -> Result<Response> {
                const std::uint64_t from = TRY(SizeQuery(r, "from"));
                const std::uint64_t to = TRY(SizeQuery(r, "to"));
                if (from > to) return core::InvalidArgument("from 不能大于 to", "from");
                auto proof = TRY(record->Consistency(from, to));
                return JsonResponse(200, json::object{{"from", from},
                                                      {"to", to},
                                                      {"hash", record->Key().hash},
                                                      {"proof", HashList(proof)}});
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/record/events/{seq}/proof",
              .handler = Wrap([record](Request& r) -> Result<Response> {
                const std::int64_t seq = TRY(r.PathId("seq"));
                std::optional<std::uint64_t> size;
                if (r.Query("size")) size = TRY(SizeQuery(r, "size"));
                auto p = TRY(record->Prove(*r.principal, seq, size, MetaOf(r)));
                json::object out{
                    {"event", EventJson(p.event)},
                    {"canonical", p.canonical},
                    {"leaf_index", p.event.seq - 1},
                    {"leaf_hash", core::HexEncode(p.event.leaf_hash)},
                    {"tree_size", p.tree_size},
                    {"root", core::HexEncode(p.root)},
                    {"hash", record->Key().hash},
                    {"proof", HashList(p.proof)},
                    {"checkpoint", p.checkpoint ? json::value(CheckpointJson(*p.checkpoint))
                                                : json::value(nullptr)}};
                return JsonResponse(200, out);
              })});
}

}  // namespace lvyuan::http
