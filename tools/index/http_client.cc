#include "tools/index/http_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace imagegraph {
namespace {

struct ResponseSink {
  HttpResponse* response;
  FILE* file = nullptr;  // the response file, when the body goes to one
  Sha256 hasher;
  bool write_failed = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  size_t bytes = size * count;
  if (sink->file != nullptr) {
    sink->hasher.Update(data, bytes);
    if (fwrite(data, 1, bytes, sink->file) != bytes) {
      sink->write_failed = true;
      return 0;
    }
  } else {
    sink->response->body.append(data, bytes);
  }
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  size_t bytes = size * count;
  absl::string_view line(data, bytes);
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    sink->response->headers[name] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  } else if (absl::StartsWith(line, "HTTP/")) {
    // A new response (after a redirect or "100 Continue") starts afresh.
    sink->response->headers.clear();
  }
  return bytes;
}

}  // namespace

absl::StatusOr<HttpResponse> PerformHttpRequest(const HttpRequest& request) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(),
                                              curl_easy_cleanup);
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* handle = curl.get();
  HttpResponse response;
  ResponseSink sink{&response};
  if (!request.response_file.empty()) {
    sink.file = fopen(request.response_file.c_str(), "wbe");
    if (sink.file == nullptr) {
      return absl::InternalError(
          absl::StrCat(request.response_file, ": cannot create"));
    }
  }
  absl::Cleanup close_sink = [&sink] {
    if (sink.file != nullptr) fclose(sink.file);
  };
  FILE* upload = nullptr;
  absl::Cleanup close_upload = [&upload] {
    if (upload != nullptr) fclose(upload);
  };
  curl_slist* headers = nullptr;
  absl::Cleanup free_headers = [&headers] { curl_slist_free_all(headers); };
  for (const std::string& header : request.headers) {
    headers = curl_slist_append(headers, header.c_str());
  }
  // No "Expect: 100-continue" round trip for uploads.
  headers = curl_slist_append(headers, "Expect:");

  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, 15L);
  // A stalled transfer (under 1 KiB/s for a minute) fails instead of hanging.
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION,
                   request.follow_redirects ? 1L : 0L);
  if (request.method == "HEAD") {
    curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" && !request.body_file.empty()) {
    upload = fopen(request.body_file.c_str(), "rbe");
    if (upload == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(request.body_file, ": cannot open for upload"));
    }
    fseeko(upload, 0, SEEK_END);
    curl_off_t size = ftello(upload);
    fseeko(upload, 0, SEEK_SET);
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_READDATA, upload);
    curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, size);
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        request.method, " ", request.url, " failed: ", curl_easy_strerror(code),
        sink.write_failed ? " (writing the response file failed)" : ""));
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  if (sink.file != nullptr) {
    if (fflush(sink.file) != 0) {
      return absl::InternalError(
          absl::StrCat(request.response_file, ": write failed"));
    }
    response.body_sha256_hex = sink.hasher.FinishHex();
  }
  return response;
}

}  // namespace imagegraph
