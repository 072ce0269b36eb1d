// The whole-process record's routes: the public key, checkpoints and
// consistency proofs for anyone (a witness, a court, a party), and an
// event's inclusion proof for those allowed to see the event.
#include <boost/json.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "domain/record_access.h"
#include "domain/record_verify_job.h"
#include "http/json.h"
#include "http/route_helpers.h"
#include "http/routes.h"
#include "record/witness.h"

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
                const domain::RecordKeyInfo& k = record->Key();
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
              .pattern = "/api/public/record/files/{sm3}",
              .auth = Auth::kPublic,
              .handler = Wrap([record](Request& r) -> Result<Response> {
                auto f = TRY(record->FindFile(r.PathParam("sm3")));
                json::object out{{"sm3", f.sm3}, {"recorded", f.recorded}};
                if (f.recorded) {
                  out["recorded_at"] = core::FormatIsoUtc(f.recorded_at);
                  out["seq"] = f.seq;
                  out["leaf_hash"] = f.leaf_hash;
                  out["hash"] = record->Key().hash;
                  out["tree_size"] = f.tree_size;
                  out["proof"] = HashList(f.proof);
                  out["checkpoint"] = f.checkpoint ? json::value(CheckpointJson(*f.checkpoint))
                                                   : json::value(nullptr);
                }
                return JsonResponse(200, out);
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

  if (domain::RecordVerifyJob* job = services.verify) {
    auto status_json = [](const domain::VerifyStatus& v) {
      json::object o{{"state", v.state},
                     {"done", v.done},
                     {"total", v.total},
                     {"started_at", v.started_at ? json::value(core::FormatIsoUtc(v.started_at))
                                                 : json::value(nullptr)},
                     {"finished_at", v.finished_at ? json::value(core::FormatIsoUtc(v.finished_at))
                                                   : json::value(nullptr)},
                     {"started_by", v.started_by},
                     {"events_checked", v.report ? v.report->events_checked : 0},
                     {"checkpoints_checked", v.report ? v.report->checkpoints_checked : 0},
                     {"files_checked", v.report ? v.report->files_checked : 0},
                     {"first_bad_seq", nullptr},
                     {"code", nullptr},
                     {"message", v.error.empty() ? json::value(nullptr) : json::value(v.error)}};
      if (v.report && v.report->problem) {
        const auto& p = *v.report->problem;
        o["first_bad_seq"] = p.first_bad_seq;
        o["code"] = record::DefectCode(p.defect);
        o["message"] = p.message;
      }
      return o;
    };
    router.Add({.method = Verb::post,
                .pattern = "/api/v1/record/verify",
                .permission = "audit:event:list",
                .handler = Wrap([job, status_json](Request& r) -> Result<Response> {
                  return JsonResponse(202, status_json(TRY(job->Start(*r.principal, MetaOf(r)))));
                })});
    router.Add({.method = Verb::get,
                .pattern = "/api/v1/record/verify",
                .permission = "audit:event:list",
                .handler = Wrap([job, status_json](Request& r) -> Result<Response> {
                  return JsonResponse(200, status_json(TRY(job->Status(*r.principal))));
                })});
  }

  router.Add(
      {.method = Verb::get,
       .pattern = "/api/v1/record/objects/{type}/{id}/events",
       .writes = true,
       .handler = Wrap([record](Request& r) -> Result<Response> {
         const int limit = TRY(LimitOf(r, 20, 200));
         auto page = TRY(record->ObjectRecord(*r.principal, r.PathParam("type"), r.PathParam("id"),
                                              TRY(DecodeCursor(r)), limit, MetaOf(r)));
         json::array items;
         for (const domain::ProvenEvent& item : page.items) {
           json::value e = EventJson(item.event);
           json::object& o = e.as_object();
           o["canonical"] = item.canonical;
           o["proof"] = item.proof ? json::value(HashList(*item.proof)) : json::value(nullptr);
           items.push_back(std::move(e));
         }
         json::object out{
             {"items", std::move(items)},
             {"next_cursor", page.next_before ? json::value(EncodeCursor(*page.next_before))
                                              : json::value(nullptr)},
             {"hash", record->Key().hash},
             {"exportable", page.exportable ? json::value(*page.exportable) : json::value(nullptr)},
             {"tree_size", page.checkpoint ? page.checkpoint->checkpoint.size : 0},
             {"root", page.checkpoint
                          ? json::value(core::HexEncode(page.checkpoint->checkpoint.root))
                          : json::value(nullptr)},
             {"checkpoint", page.checkpoint ? json::value(CheckpointJson(*page.checkpoint))
                                            : json::value(nullptr)}};
         return JsonResponse(200, out);
       })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/record/bundle",
              .writes = true,
              .download = [record](Request& r) -> Result<FileReply> {
                auto bundle = TRY(record->ExportBundle(*r.principal, TextQuery(r, "object_type"),
                                                       TextQuery(r, "object_id"), MetaOf(r)));
                return FileReply{
                    .path = std::move(bundle.path),
                    .content_type = "application/x-tar",
                    .filename = std::move(bundle.filename),
                    .headers = {{"Cache-Control", "no-store"},
                                {"X-Bundle-Events", std::to_string(bundle.summary.events)},
                                {"X-Bundle-Checkpoint-Size",
                                 std::to_string(bundle.summary.checkpoint_size)}},
                    .remove_after_open = true};
              }});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/record/events/{seq}/proof",
              .writes = true,
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

  // A witness's cosignature of a checkpoint (record-format.md §3.1).
  record::WitnessRegistry* witnesses = services.witnesses;
  router.Add(
      {.method = Verb::post,
       .pattern = "/api/public/record/cosignatures",
       .auth = Auth::kPublic,
       .handler = WithJsonBody([witnesses](Request&, const json::object& body) -> Result<Response> {
         JsonFields f(body);
         TRY(f.RejectUnknown({"size", "witness", "key_id", "signature", "at"}));
         store::CosignatureRecord c;
         c.size = TRY(f.Int("size"));
         if (c.size < 1) return core::InvalidArgument("应为正整数（树大小）", "size");
         c.witness = TRY(f.String("witness", 64));
         c.key_id = TRY(f.String("key_id", 64));
         auto signature = core::Base64Decode(TRY(f.String("signature", 400)));
         if (!signature.ok() || signature->empty()) {
           return core::InvalidArgument("签名应为 base64", "signature");
         }
         c.signature = std::move(signature).value();
         const std::string at = TRY(f.String("at", 40));
         if (!core::ParseIsoTime(at, &c.at) || core::FormatIsoUtc(c.at) != at) {
           return core::InvalidArgument("时间格式应为 YYYY-MM-DDTHH:MM:SS.mmmZ", "at");
         }
         if (witnesses == nullptr) {
           core::Error e = core::PermissionDenied("本部署未登记任何见证方");
           e.field = "witness";
           return e;
         }
         TRY(witnesses->Accept(c));
         return JsonResponse(201, json::object{{"size", c.size},
                                               {"witness", c.witness},
                                               {"key_id", c.key_id},
                                               {"at", core::FormatIsoUtc(c.at)}});
       })});
}

}  // namespace lvyuan::http
