#include "tools/imagebuild/docker_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/common/file_util.h"
#include "tools/common/sha256.h"
#include "tools/common/status_macros.h"
#include "tools/imagebuild/zstd_stream.h"

namespace imagegraph {
namespace {

constexpr size_t kBlock = 512;

absl::Status CorruptArchive(absl::string_view path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat(path, ": not a docker-archive buildah would write: ", what,
                   " (report this with the buildah version)"));
}

// One file of the archive and where its data lies.
struct TarEntry {
  std::string name;
  char type = '0';
  int64_t data_offset = 0;
  int64_t size = 0;
};

// An archive file read by offset: every read is bound-checked, and a short
// one is reported as a corrupt archive.
class ArchiveFile {
 public:
  static absl::StatusOr<ArchiveFile> Open(const std::string& path, int flags) {
    IG_ASSIGN_OR_RETURN(OpenFile file, OpenFile::Open(path, flags));
    return ArchiveFile(std::move(file));
  }

  // Reads exactly `size` bytes at `offset`.
  absl::StatusOr<std::string> ReadAt(int64_t offset, int64_t size) const {
    // A corrupt size must not become a huge allocation.
    IG_ASSIGN_OR_RETURN(const int64_t file_size, file_.Size());
    if (offset < 0 || size < 0 || offset > file_size ||
        size > file_size - offset) {
      return Corrupt("it ends inside an entry");
    }
    std::string data;
    absl::Status read = ReadExactlyAt(fd(), path(), offset, size, data);
    // The file shrank since it was measured.
    if (absl::IsDataLoss(read)) return Corrupt("it ends inside an entry");
    if (!read.ok()) return read;
    return data;
  }

  absl::Status Corrupt(absl::string_view what) const {
    return CorruptArchive(path(), what);
  }

  // Every entry, in order, up to the end-of-archive blocks.
  absl::StatusOr<std::vector<TarEntry>> Entries() const;

  const std::string& path() const { return file_.path(); }
  int fd() const { return file_.fd(); }

 private:
  explicit ArchiveFile(OpenFile file) : file_(std::move(file)) {}

  OpenFile file_;
};

// A numeric header field: octal text, or base-256 when its top bit is set.
// False for a value that does not fit in 62 bits (no archive is that big).
bool ParseNumber(absl::string_view field, int64_t* value) {
  constexpr int64_t kLimit = int64_t{1} << 62;
  if (!field.empty() && (static_cast<unsigned char>(field[0]) & 0x80)) {
    int64_t result = static_cast<unsigned char>(field[0]) & 0x7f;
    for (size_t i = 1; i < field.size(); ++i) {
      if (result >= (kLimit >> 8)) return false;
      result = (result << 8) | static_cast<unsigned char>(field[i]);
    }
    *value = result;
    return true;
  }
  field = absl::StripAsciiWhitespace(field.substr(0, field.find('\0')));
  if (field.empty()) {
    *value = 0;
    return true;
  }
  int64_t result = 0;
  for (char c : field) {
    if (c < '0' || c > '7' || result >= (kLimit >> 3)) return false;
    result = result * 8 + (c - '0');
  }
  *value = result;
  return true;
}

absl::string_view CString(absl::string_view field) {
  return field.substr(0, field.find('\0'));
}

int64_t Padded(int64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

// The "path" and "size" records of a PAX extended header.
void ApplyPaxRecords(absl::string_view records, std::string* path,
                     int64_t* size) {
  while (!records.empty()) {
    size_t space = records.find(' ');
    int64_t length = 0;
    if (space == absl::string_view::npos ||
        !absl::SimpleAtoi(records.substr(0, space), &length) ||
        length <= static_cast<int64_t>(space) ||
        length > static_cast<int64_t>(records.size())) {
      return;
    }
    absl::string_view record = records.substr(space + 1, length - space - 2);
    records.remove_prefix(length);
    if (absl::ConsumePrefix(&record, "path=")) {
      *path = std::string(record);
    } else if (absl::ConsumePrefix(&record, "size=")) {
      absl::SimpleAtoi(record, size);
    }
  }
}

// The name of the member whose ustar header is `header`: the long name of
// the extended header before it, else the ustar prefix and name fields.
std::string MemberName(absl::string_view header, const std::string& long_name) {
  if (!long_name.empty()) return long_name;
  if (header.substr(257, 5) == "ustar" &&
      !CString(header.substr(345, 155)).empty()) {
    return absl::StrCat(CString(header.substr(345, 155)), "/",
                        CString(header.substr(0, 100)));
  }
  return std::string(CString(header.substr(0, 100)));
}

absl::StatusOr<std::vector<TarEntry>> ArchiveFile::Entries() const {
  std::vector<TarEntry> entries;
  int64_t offset = 0;
  std::string long_name;  // from a PAX or GNU long-name header
  int64_t pax_size = -1;
  while (true) {
    IG_ASSIGN_OR_RETURN(std::string header, ReadAt(offset, kBlock));
    if (header == std::string(kBlock, '\0')) break;
    int64_t size = 0;
    if (!ParseNumber(absl::string_view(header).substr(124, 12), &size)) {
      return Corrupt(
          absl::StrCat("bad size field in the header at byte ", offset));
    }
    const char type = header[156] == '\0' ? '0' : header[156];
    const int64_t data_offset = offset + kBlock;
    if (type == 'x' || type == 'L') {
      IG_ASSIGN_OR_RETURN(std::string data, ReadAt(data_offset, size));
      if (type == 'x') {
        ApplyPaxRecords(data, &long_name, &pax_size);
      } else {
        long_name = std::string(CString(data));
      }
    } else if (type != 'g') {
      TarEntry entry;
      entry.type = type;
      entry.data_offset = data_offset;
      if (pax_size >= 0) size = pax_size;
      entry.size = size;
      entry.name = MemberName(header, long_name);
      entries.push_back(std::move(entry));
      long_name.clear();
      pax_size = -1;
    }
    offset = data_offset + Padded(size);
  }
  return entries;
}

// manifest.json of the archive at `path`, which must list exactly one image.
absl::StatusOr<google::protobuf::ListValue> ParseManifestText(
    absl::string_view path, const std::string& text) {
  google::protobuf::ListValue images;
  auto parsed = google::protobuf::util::JsonStringToMessage(text, &images);
  if (!parsed.ok() || images.values_size() != 1 ||
      !images.values(0).has_struct_value()) {
    return CorruptArchive(
        path, absl::StrCat("manifest.json is not a list of exactly one image: ",
                           text));
  }
  return images;
}

// A string field of the image object in manifest.json.
std::string StringField(const google::protobuf::Struct& image,
                        const std::string& key) {
  auto it = image.fields().find(key);
  return it == image.fields().end() ? "" : it->second.string_value();
}

std::vector<std::string> StringListField(const google::protobuf::Struct& image,
                                         const std::string& key) {
  std::vector<std::string> values;
  auto it = image.fields().find(key);
  if (it == image.fields().end()) return values;
  for (const auto& value : it->second.list_value().values()) {
    values.push_back(value.string_value());
  }
  return values;
}

// "sha256:<hex>" from an archive file name "<hex>.json" or "<hex>.tar".
bool DigestFromFileName(absl::string_view name, absl::string_view suffix,
                        std::string* digest) {
  if (!absl::ConsumeSuffix(&name, suffix) || !IsSha256Hex(name)) {
    return false;
  }
  *digest = absl::StrCat("sha256:", name);
  return true;
}

}  // namespace

std::string DockerArchiveManifestJson(absl::string_view config,
                                      const std::vector<std::string>& tags,
                                      const std::vector<std::string>& layers) {
  // Written here rather than by a JSON printer, whose key order is not
  // promised: the archive must come out byte for byte the same every time.
  std::vector<std::string> quoted_tags;
  for (const std::string& tag : tags) quoted_tags.push_back(JsonQuote(tag));
  std::vector<std::string> quoted_layers;
  for (const std::string& layer : layers) {
    quoted_layers.push_back(JsonQuote(layer));
  }
  return absl::StrCat("[{\"Config\":", JsonQuote(config), ",\"RepoTags\":[",
                      absl::StrJoin(quoted_tags, ","), "],\"Layers\":[",
                      absl::StrJoin(quoted_layers, ","), "]}]");
}

absl::StatusOr<std::string> ManifestJsonWithTagLoadedFirst(
    absl::string_view archive, absl::string_view manifest_json,
    absl::string_view tag) {
  IG_ASSIGN_OR_RETURN(google::protobuf::ListValue images,
                      ParseManifestText(archive, std::string(manifest_json)));
  const google::protobuf::Struct& image = images.values(0).struct_value();
  std::vector<std::string> tags = {std::string(tag)};
  for (std::string& repo_tag : StringListField(image, "RepoTags")) {
    tags.push_back(std::move(repo_tag));
  }
  return DockerArchiveManifestJson(StringField(image, "Config"), tags,
                                   StringListField(image, "Layers"));
}

std::optional<std::string> ClearBuilderFields(absl::string_view json) {
  struct Level {
    bool object;
    bool expecting_key;
    std::string key;  // the key whose value comes next (objects)
  };
  std::vector<Level> levels;
  std::string top_key;  // the top-level key the scan is inside
  std::vector<std::pair<size_t, size_t>> cleared;  // value ranges, quotes in
  size_t i = 0;
  auto skip_string = [&](size_t start) -> std::optional<size_t> {
    for (size_t j = start + 1; j < json.size(); ++j) {
      if (json[j] == '\\') {
        ++j;
      } else if (json[j] == '"') {
        return j + 1;
      }
    }
    return std::nullopt;
  };
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {
      std::optional<size_t> end = skip_string(i);
      if (!end.has_value()) return std::nullopt;
      if (!levels.empty() && levels.back().object &&
          levels.back().expecting_key) {
        levels.back().key = std::string(json.substr(i + 1, *end - i - 2));
        levels.back().expecting_key = false;
        if (levels.size() == 1) top_key = levels.back().key;
      } else if (!levels.empty() && levels.back().object) {
        const std::string& key = levels.back().key;
        if ((levels.size() == 1 && key == "container") ||
            (levels.size() == 2 && key == "Hostname" &&
             (top_key == "config" || top_key == "container_config"))) {
          cleared.emplace_back(i, *end);
        }
      }
      i = *end;
      continue;
    }
    if (c == '{' || c == '[') {
      levels.push_back({c == '{', c == '{', ""});
    } else if (c == '}' || c == ']') {
      if (levels.empty() || levels.back().object != (c == '}')) {
        return std::nullopt;
      }
      levels.pop_back();
      if (levels.empty() && i + 1 < json.size()) {
        if (!absl::StripAsciiWhitespace(json.substr(i + 1)).empty()) {
          return std::nullopt;
        }
      }
    } else if (c == ',' && !levels.empty() && levels.back().object) {
      levels.back().expecting_key = true;
    }
    ++i;
  }
  if (!levels.empty()) return std::nullopt;
  std::string out;
  size_t copied = 0;
  for (const auto& [begin, end] : cleared) {
    absl::StrAppend(&out, json.substr(copied, begin - copied), "\"\"");
    copied = end;
  }
  absl::StrAppend(&out, json.substr(copied));
  return out;
}

namespace {

// What describes an archive's image, however the archive was read: the
// size of every regular member, and the content of its JSON members (the
// configuration and manifest.json). Layers are never held.
struct ArchiveMembers {
  absl::flat_hash_map<std::string, int64_t> sizes;
  absl::flat_hash_map<std::string, std::string> json;
  // The sha256 (lowercase hex) of each regular file's content, when the
  // reader was asked to hash them.
  absl::flat_hash_map<std::string, std::string> sha256;
};

// Larger JSON members are not a configuration or a manifest buildah writes;
// they are left out (and reading the image then fails).
constexpr int64_t kMaxJsonMemberBytes = 16 << 20;
// Extended headers carry a long name or size, never more.
constexpr int64_t kMaxExtendedHeaderBytes = 1 << 20;

bool IsJsonMember(absl::string_view name, int64_t size) {
  return absl::EndsWith(name, ".json") && size <= kMaxJsonMemberBytes;
}

// Records regular member `name` of `size` bytes; a name given twice makes
// the archive ambiguous.
absl::Status AddMember(absl::string_view path, const std::string& name,
                       int64_t size, ArchiveMembers* members) {
  if (!members->sizes.emplace(name, size).second) {
    return CorruptArchive(path, absl::StrCat("it holds ", name, " twice"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ArchiveMembers> MembersOf(const ArchiveFile& archive) {
  IG_ASSIGN_OR_RETURN(std::vector<TarEntry> entries, archive.Entries());
  ArchiveMembers members;
  for (const TarEntry& entry : entries) {
    if (entry.type != '0') continue;
    IG_RETURN_IF_ERROR(
        AddMember(archive.path(), entry.name, entry.size, &members));
    if (IsJsonMember(entry.name, entry.size)) {
      IG_ASSIGN_OR_RETURN(members.json[entry.name],
                          archive.ReadAt(entry.data_offset, entry.size));
    }
  }
  return members;
}

// Reads a tar archive handed over in pieces of any size, such as a
// decompressing stream, into ArchiveMembers.
class TarStreamReader {
 public:
  // With `hash_contents`, every regular file's content is hashed as it
  // streams by (ArchiveMembers::sha256).
  explicit TarStreamReader(std::string path, bool hash_contents = false)
      : path_(std::move(path)), hash_contents_(hash_contents) {}

  absl::Status Consume(absl::string_view data) {
    while (!data.empty() && !ended_) {
      if (remaining_ > 0) {
        const size_t take =
            static_cast<size_t>(std::min<int64_t>(remaining_, data.size()));
        if (keep_) data_.append(data.data(), take);
        if (hash_.has_value()) hash_->Update(data.data(), take);
        data.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) IG_RETURN_IF_ERROR(EndMember());
      } else if (padding_ > 0) {
        const size_t take =
            static_cast<size_t>(std::min<int64_t>(padding_, data.size()));
        data.remove_prefix(take);
        padding_ -= take;
      } else {
        const size_t take = std::min(kBlock - header_.size(), data.size());
        header_.append(data.data(), take);
        data.remove_prefix(take);
        if (header_.size() == kBlock) IG_RETURN_IF_ERROR(StartMember());
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ArchiveMembers> Finish() {
    if (!ended_) return CorruptArchive(path_, "it ends inside an entry");
    return std::move(members_);
  }

 private:
  absl::Status StartMember() {
    const std::string header = std::move(header_);
    header_.clear();
    const int64_t header_offset = offset_;
    offset_ += kBlock;
    if (header == std::string(kBlock, '\0')) {
      ended_ = true;
      return absl::OkStatus();
    }
    int64_t size = 0;
    if (!ParseNumber(absl::string_view(header).substr(124, 12), &size)) {
      return CorruptArchive(
          path_,
          absl::StrCat("bad size field in the header at byte ", header_offset));
    }
    type_ = header[156] == '\0' ? '0' : header[156];
    if (type_ == 'x' || type_ == 'L') {
      if (size > kMaxExtendedHeaderBytes) {
        return CorruptArchive(
            path_, absl::StrCat("an extended header of ", size, " bytes"));
      }
      keep_ = true;
    } else {
      if (pax_size_ >= 0) size = pax_size_;
      name_ = MemberName(header, long_name_);
      long_name_.clear();
      pax_size_ = -1;
      keep_ = false;
      if (type_ == '0') {
        IG_RETURN_IF_ERROR(AddMember(path_, name_, size, &members_));
        keep_ = IsJsonMember(name_, size);
        if (hash_contents_) hash_.emplace();
      }
    }
    remaining_ = size;
    padding_ = Padded(size) - size;
    offset_ += Padded(size);
    return size == 0 ? EndMember() : absl::OkStatus();
  }

  absl::Status EndMember() {
    if (hash_.has_value()) {
      members_.sha256[name_] = hash_->FinishHex();
      hash_.reset();
    }
    if (type_ == 'x') {
      ApplyPaxRecords(data_, &long_name_, &pax_size_);
    } else if (type_ == 'L') {
      long_name_ = std::string(CString(data_));
    } else if (keep_) {
      members_.json[name_] = std::move(data_);
    }
    data_.clear();
    keep_ = false;
    return absl::OkStatus();
  }

  std::string path_;
  ArchiveMembers members_;
  std::string header_;     // the header being gathered
  int64_t offset_ = 0;     // of the next header, for messages
  int64_t remaining_ = 0;  // data bytes of the current member still to come
  int64_t padding_ = 0;    // then padding to the next block
  char type_ = '0';
  std::string name_;
  bool keep_ = false;  // whether data_ gathers the current member's data
  std::string data_;
  std::string long_name_;  // from a PAX or GNU long-name header
  int64_t pax_size_ = -1;
  bool ended_ = false;
  bool hash_contents_ = false;
  std::optional<Sha256> hash_;  // of the current member's content
};

// The image that `members` of the archive at `path` describe.
absl::StatusOr<DockerArchiveImage> ImageFromMembers(
    absl::string_view path, const ArchiveMembers& members) {
  auto manifest = members.json.find("manifest.json");
  if (manifest == members.json.end()) {
    return CorruptArchive(path, "it has no manifest.json");
  }
  IG_ASSIGN_OR_RETURN(google::protobuf::ListValue images,
                      ParseManifestText(path, manifest->second));
  const google::protobuf::Struct& image = images.values(0).struct_value();

  DockerArchiveImage result;
  const std::string config = StringField(image, "Config");
  auto config_json = members.json.find(config);
  if (!DigestFromFileName(config, ".json", &result.config_digest) ||
      config_json == members.json.end()) {
    return CorruptArchive(
        path, absl::StrCat("manifest.json names the configuration \"", config,
                           "\", which is not a <sha256>.json file in the "
                           "archive"));
  }
  if (absl::StrCat("sha256:", Sha256Hex(config_json->second)) !=
      result.config_digest) {
    return CorruptArchive(path, absl::StrCat("the content of ", config,
                                             " does not match its name"));
  }
  result.config_size = static_cast<int64_t>(config_json->second.size());

  for (const std::string& layer : StringListField(image, "Layers")) {
    auto size = members.sizes.find(layer);
    LayerInfo info;
    if (!DigestFromFileName(layer, ".tar", &info.digest) ||
        size == members.sizes.end()) {
      return CorruptArchive(
          path, absl::StrCat("manifest.json names the layer \"", layer,
                             "\", which is not a <sha256>.tar file in the "
                             "archive"));
    }
    info.size = size->second;
    result.layers.push_back(std::move(info));
  }
  result.repo_tags = StringListField(image, "RepoTags");
  return result;
}

}  // namespace

absl::StatusOr<DockerArchiveImage> ReadDockerArchive(const std::string& path) {
  IG_ASSIGN_OR_RETURN(bool compressed, IsZstdFile(path));
  ArchiveMembers members;
  if (compressed) {
    TarStreamReader reader(path);
    IG_RETURN_IF_ERROR(
        DecompressZstdStream(path, [&reader](absl::string_view data) {
          return reader.Consume(data);
        }).status());
    IG_ASSIGN_OR_RETURN(members, reader.Finish());
  } else {
    IG_ASSIGN_OR_RETURN(ArchiveFile archive, ArchiveFile::Open(path, O_RDONLY));
    IG_ASSIGN_OR_RETURN(members, MembersOf(archive));
  }
  return ImageFromMembers(path, members);
}

absl::StatusOr<DockerArchiveImage> ReadDockerArchiveVerifyingLayers(
    const std::string& path) {
  IG_ASSIGN_OR_RETURN(bool compressed, IsZstdFile(path));
  TarStreamReader reader(path, /*hash_contents=*/true);
  auto consume = [&reader](absl::string_view data) {
    return reader.Consume(data);
  };
  if (compressed) {
    IG_RETURN_IF_ERROR(DecompressZstdStream(path, consume).status());
  } else {
    IG_RETURN_IF_ERROR(ReadFileInChunks(path, consume));
  }
  IG_ASSIGN_OR_RETURN(ArchiveMembers members, reader.Finish());
  IG_ASSIGN_OR_RETURN(DockerArchiveImage image,
                      ImageFromMembers(path, members));
  for (const LayerInfo& layer : image.layers) {
    const std::string name = absl::StrCat(layer.digest.substr(7), ".tar");
    auto hashed = members.sha256.find(name);
    if (hashed == members.sha256.end() ||
        absl::StrCat("sha256:", hashed->second) != layer.digest) {
      return absl::DataLossError(absl::StrCat(
          path, ": the member ", name, " holds a layer whose digest is sha256:",
          hashed == members.sha256.end() ? "(none)" : hashed->second,
          ", not the ", layer.digest,
          " its name and the image's configuration give: the archive is "
          "corrupt or forged; build its image again (or remove the index "
          "entry or cache entry it came from)"));
    }
  }
  return image;
}

std::string OciManifestDigest(const DockerArchiveImage& image) {
  std::vector<std::string> layers;
  for (const LayerInfo& layer : image.layers) {
    layers.push_back(absl::StrCat(
        "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
        "\"digest\":\"",
        layer.digest, "\",\"size\":", layer.size, "}"));
  }
  const std::string manifest = absl::StrCat(
      "{\"schemaVersion\":2,"
      "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
      "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
      "\"digest\":\"",
      image.config_digest, "\",\"size\":", image.config_size, "},\"layers\":[",
      absl::StrJoin(layers, ","), "]}");
  return absl::StrCat("sha256:", Sha256Hex(manifest));
}

}  // namespace imagegraph
