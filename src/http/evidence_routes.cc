// Evidence files: resumable uploads with provenance, metadata and content
// downloads (each read recorded as an event by domain::Evidence).
#include <boost/json.hpp>

#include "core/clock.h"
#include "domain/evidence.h"
#include "http/json.h"
#include "http/route_helpers.h"
#include "http/routes.h"

namespace lvyuan::http {
namespace json = boost::json;
using core::Result;
using core::Status;

namespace {

std::string UploadUrl(std::string_view id) { return "/api/v1/uploads/" + std::string(id); }

json::value UploadJson(const store::UploadRecord& u, bool in_progress) {
  return json::object{
      {"id", u.id},
      {"filename", u.filename},
      {"size", u.declared_size},
      {"received", u.received},
      {"state", store::UploadStateName(u.state)},
      {"in_progress", in_progress},
      {"evidence_id", u.evidence_id ? json::value(*u.evidence_id) : json::value(nullptr)},
      {"upload_url", UploadUrl(u.id)},
      {"created_at", core::FormatIsoUtc(u.created_at)},
      {"updated_at", core::FormatIsoUtc(u.updated_at)}};
}

json::value EvidenceJson(const domain::EvidenceCatalog& catalog, const store::EvidenceRecord& e) {
  const domain::EvidenceLabel* type = catalog.FindMediaType(e.media_type);
  const domain::EvidenceLabel* source = catalog.FindSource(e.source);
  return json::object{
      {"id", e.id},
      {"filename", e.filename},
      {"size", e.size},
      {"media_type", e.media_type},
      {"media_type_name", type ? type->name_zh : e.media_type},
      {"sm3", e.sm3},
      {"sha256", e.sha256},
      {"source", e.source},
      {"source_name", source ? source->name_zh : e.source},
      {"captured_at", core::FormatIsoUtc(e.captured_at)},
      {"captured_by", e.captured_by},
      {"device_id", e.device_id},
      {"location", e.location.empty() ? json::value(nullptr) : ParsedOr(e.location, nullptr)},
      {"description", e.description},
      {"object_type", e.object_type},
      {"object_id", e.object_id},
      {"unit_id", e.unit_id},
      {"uploaded_by", e.uploaded_by ? json::value(*e.uploaded_by) : json::value(nullptr)},
      {"uploaded_at", core::FormatIsoUtc(e.uploaded_at)},
      {"event_seq", e.event_seq},
      {"content_url", "/api/v1/evidence/" + std::to_string(e.id) + "/content"}};
}

// The statuses HttpStatusFor has no code for: a declared size over the limit
// is 413, content of a type not accepted is 415.
Response EvidenceError(const core::Error& e) {
  if (e.code == core::ErrorCode::kResourceExhausted && e.field == "size") {
    return ErrorResponse(413, e);
  }
  if (e.code == core::ErrorCode::kInvalidArgument && e.field == "media_type") {
    return ErrorResponse(415, e);
  }
  return ErrorResponse(e);
}

Result<domain::UploadInput> ReadUploadInput(const json::object& body) {
  JsonFields f(body);
  TRY(f.RejectUnknown({"filename", "size", "source", "captured_at", "captured_by", "device_id",
                       "location", "description", "object_type", "object_id"}));
  domain::UploadInput in;
  in.filename = TRY(f.String("filename", 255));
  in.size = TRY(f.Int("size"));
  domain::Provenance& p = in.provenance;
  p.source = TRY(f.String("source", 64));
  p.captured_at = TRY(f.String("captured_at", 64));
  p.captured_by = TRY(f.OptString("captured_by", 100)).value_or("");
  p.device_id = TRY(f.OptString("device_id", 100)).value_or("");
  if (const json::object* location = TRY(f.OptObject("location"))) {
    JsonFields l(*location, f.Prefixed("location"));
    TRY(l.RejectUnknown({"text", "lat", "lng"}));
    p.location = domain::EvidenceLocation{TRY(l.OptString("text", 200)).value_or(""),
                                          TRY(l.OptString("lat", 16)).value_or(""),
                                          TRY(l.OptString("lng", 16)).value_or("")};
  }
  p.description = TRY(f.OptString("description", 2000)).value_or("");
  p.object_type = TRY(f.OptString("object_type", 64)).value_or("");
  p.object_id = TRY(f.OptString("object_id", 64)).value_or("");
  return in;
}

// Streams one PUT body into an upload session.
class UploadSink final : public BodySink {
 public:
  UploadSink(std::unique_ptr<domain::UploadSession> session, const domain::EvidenceCatalog& catalog)
      : session_(std::move(session)), catalog_(catalog) {}

  Status Write(std::span<const std::uint8_t> piece) override { return session_->Write(piece); }

  Response Finish() override {
    auto result = session_->Finish();
    if (!result.ok()) return EvidenceError(result.error());
    if (result->evidence) {
      Response resp = JsonResponse(201, EvidenceJson(catalog_, *result->evidence));
      resp.set(beast_http::field::location,
               "/api/v1/evidence/" + std::to_string(result->evidence->id));
      return resp;
    }
    return JsonResponse(200, UploadJson(result->upload, false));
  }

  void Abort() override { session_->Abort(); }

 private:
  std::unique_ptr<domain::UploadSession> session_;
  const domain::EvidenceCatalog& catalog_;
};

}  // namespace

void AddEvidenceRoutes(Router& router, const Services& services) {
  domain::Evidence* ev = services.evidence;
  const std::string upload_permission(domain::kEvidenceUploadPermission);

  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/uploads",
       .permission = upload_permission,
       .handler = WithJsonBody([ev](Request& r, const json::object& body) -> Result<Response> {
         auto in = TRY(ReadUploadInput(body));
         auto upload = ev->CreateUpload(*r.principal, in, MetaOf(r));
         if (!upload.ok()) return EvidenceError(upload.error());
         Response resp = JsonResponse(201, UploadJson(*upload, false));
         resp.set(beast_http::field::location, UploadUrl(upload->id));
         return resp;
       })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/uploads/{id}",
              .permission = upload_permission,
              .handler = Wrap([ev](Request& r) -> Result<Response> {
                auto status = TRY(ev->GetUpload(*r.principal, r.PathParam("id")));
                return JsonResponse(200, UploadJson(status.upload, status.in_progress));
              })});

  router.Add({.method = Verb::put,
              .pattern = "/api/v1/uploads/{id}",
              .permission = upload_permission,
              .upload = [ev](Request& r) -> Result<std::unique_ptr<BodySink>> {
                std::optional<std::uint64_t> offset;
                if (std::string_view h = r.Header("Upload-Offset"); !h.empty()) {
                  auto v = ParseDecimal(h, 18);
                  if (!v)
                    return core::InvalidArgument("Upload-Offset 应为非负整数", "Upload-Offset");
                  offset = static_cast<std::uint64_t>(*v);
                }
                auto session =
                    TRY(ev->ContinueUpload(*r.principal, r.PathParam("id"), offset, MetaOf(r)));
                if (std::string_view cl = r.Header("Content-Length"); !cl.empty()) {
                  auto length = ParseDecimal(cl, 19);
                  if (length &&
                      static_cast<std::uint64_t>(*length) > session->size() - session->received()) {
                    return core::OutOfRange(
                        "请求体超过该上传剩余的 " +
                            std::to_string(session->size() - session->received()) + " 字节",
                        "size");
                  }
                }
                return std::unique_ptr<BodySink>(
                    std::make_unique<UploadSink>(std::move(session), ev->catalog()));
              },
              .max_body = ev->catalog().max_size_bytes()});

  router.Add({.method = Verb::delete_,
              .pattern = "/api/v1/uploads/{id}",
              .permission = upload_permission,
              .handler = Wrap([ev](Request& r) -> Result<Response> {
                TRY(ev->AbandonUpload(*r.principal, r.PathParam("id"), MetaOf(r)));
                return NoContent();
              })});

  // Reading needs evidence:file:read or audit:event:list; domain::Evidence
  // checks which, as one route permission cannot say "either".
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/evidence",
              .handler = Wrap([ev](Request& r) -> Result<Response> {
                store::EvidenceFilter f;
                f.object_type = TextQuery(r, "object_type");
                f.object_id = TextQuery(r, "object_id");
                f.before_id = TRY(DecodeCursor(r));
                f.limit = TRY(LimitOf(r, 50, 200));
                auto page = TRY(ev->List(*r.principal, f));
                const domain::EvidenceCatalog& catalog = ev->catalog();
                return JsonResponse(
                    200, PageJson<store::EvidenceRecord>(page, [&](const store::EvidenceRecord& e) {
                      return EvidenceJson(catalog, e);
                    }));
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/evidence/{id}",
              .writes = true,
              .handler = Wrap([ev](Request& r) -> Result<Response> {
                const std::int64_t id = TRY(r.PathId("id"));
                auto e = TRY(ev->Get(*r.principal, id, MetaOf(r)));
                return JsonResponse(200, EvidenceJson(ev->catalog(), e));
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/evidence/{id}/content",
              .writes = true,
              .download = [ev](Request& r) -> Result<FileReply> {
                const std::int64_t id = TRY(r.PathId("id"));
                auto content = TRY(ev->Open(*r.principal, id, MetaOf(r)));
                const store::EvidenceRecord& e = content.evidence;
                return FileReply{.path = std::move(content.path),
                                 .content_type = e.media_type,
                                 .etag = "sm3:" + e.sm3,
                                 .filename = e.filename,
                                 .headers = {{"Cache-Control", "private, no-cache"},
                                             {"X-Content-SM3", e.sm3},
                                             {"X-Content-SHA256", e.sha256}}};
              }});
}

}  // namespace lvyuan::http
