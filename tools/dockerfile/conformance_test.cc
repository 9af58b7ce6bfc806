// Compares our reading of BuildKit's own test Dockerfiles with BuildKit's.
//
// The data (`buildkit-dockerfiles.jsonl.gz`, see the README beside it) is
// read in place from ../shared/conformance/ beside the project, through the
// @buildkit_conformance repository. For every Dockerfile it checks that we
// accept what BuildKit accepts and refuse what it refuses, and, when both
// accept (as `inspect` does), that the instructions (keyword, first and last
// line), the stages (line, name, base and platform as written) and the
// references (line, instruction, stage/scratch/image, value) are BuildKit's.
// Every remaining difference must be a deliberate one, listed in
// kKnownDifferences with its reason (tools/dockerfile/README.md explains each);
// an unlisted difference, a listed one that no longer differs, or an agreement
// under 98% fails.
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tools/dockerfile/conformance_case.pb.h"
#include "tools/dockerfile/dockerfile.h"
#include "tools/dockerfile/inspect.h"
#include "tools/dockerfile/shell_word.h"

namespace imagegraph {
namespace {

constexpr char kDataFile[] = "buildkit-dockerfiles.jsonl.gz";
constexpr double kMinimumAgreement = 0.98;

// Differences we keep on purpose: case name -> why (documented in
// tools/dockerfile/README.md, "Deliberate differences from BuildKit").
const std::map<std::string, std::string>& KnownDifferences() {
  static const auto* const kKnown = new std::map<std::string, std::string>{};
  return *kKnown;
}

std::string RunfilesPath(absl::string_view file) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const std::string base = srcdir == nullptr ? "." : srcdir;
  for (const std::string& candidate :
       {absl::StrCat(base, "/buildkit_conformance/", file),
        absl::StrCat(base, "/imagegraph/external/buildkit_conformance/",
                     file)}) {
    if (FILE* f = std::fopen(candidate.c_str(), "rb")) {
      std::fclose(f);
      return candidate;
    }
  }
  return "";
}

// The whole gzip file, or "" when it cannot be read.
std::string ReadGzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return "";
  std::string text;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  gzclose(file);
  return text;
}

// A Go-quoted string ("..." as fmt's %q writes it), from `s` at `*pos`.
bool GoUnquote(absl::string_view s, size_t* pos, std::string* out) {
  if (*pos >= s.size() || s[*pos] != '"') return false;
  size_t i = *pos + 1;
  while (i < s.size() && s[i] != '"') {
    if (s[i] != '\\') {
      out->push_back(s[i++]);
      continue;
    }
    if (++i >= s.size()) return false;
    const char e = s[i++];
    uint32_t code = 0;
    int hex = 0;
    switch (e) {
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '"':
        out->push_back('"');
        break;
      case '\'':
        out->push_back('\'');
        break;
      case 'x':
        hex = 2;
        break;
      case 'u':
        hex = 4;
        break;
      case 'U':
        hex = 8;
        break;
      default:
        if (e >= '0' && e <= '7' && i + 1 < s.size()) {
          out->push_back(static_cast<char>((e - '0') * 64 + (s[i] - '0') * 8 +
                                           (s[i + 1] - '0')));
          i += 2;
          break;
        }
        return false;
    }
    if (hex == 0) continue;
    for (int k = 0; k < hex; ++k) {
      if (i >= s.size()) return false;
      int digit;
      if (!absl::SimpleHexAtoi(s.substr(i++, 1), &digit)) return false;
      code = code * 16 + digit;
    }
    if (e == 'x') {
      out->push_back(static_cast<char>(code));
    } else {
      AppendUtf8(out, code);
    }
  }
  if (i >= s.size()) return false;
  *pos = i + 1;
  return true;
}

// The value of `key="..."` in a STAGE line.
std::string Field(absl::string_view line, absl::string_view key) {
  const std::string marker = absl::StrCat(" ", key, "=");
  size_t at = line.find(marker);
  if (at == absl::string_view::npos) return "<missing>";
  size_t pos = at + marker.size();
  std::string value;
  if (!GoUnquote(line, &pos, &value)) return "<unreadable>";
  return value;
}

// A reading, ours or BuildKit's, in one comparable form.
struct Reading {
  std::vector<std::string> instructions;  // "KEYWORD start-end"
  std::vector<std::string> stages;        // "line name=.. base=.. platform=.."
  std::vector<std::string> references;    // "line FROM|COPY kind value"
};

Reading BuildKitReading(absl::string_view stdout_text) {
  Reading reading;
  for (absl::string_view line : absl::StrSplit(stdout_text, '\n')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::MaxSplits(' ', 4));
    if (words.size() >= 3 && words[0] == "INSN") {
      reading.instructions.push_back(
          absl::StrCat(absl::AsciiStrToUpper(words[2]), " ", words[1]));
    } else if (words.size() >= 3 && words[0] == "STAGE") {
      reading.stages.push_back(absl::StrCat(
          absl::StripPrefix(words[2], "line="), " name=", Field(line, "name"),
          " base=", Field(line, "base"),
          " platform=", Field(line, "platform")));
    } else if (words.size() >= 5 && words[0] == "REF") {
      std::string kind(words[3]);
      // Whether an image reference is well formed is for the tree resolver
      // to say, not the parser: both are images here.
      if (kind == "invalid-image") kind = "image";
      size_t pos = 0;
      std::string value;
      if (!GoUnquote(words[4], &pos, &value)) value = "<unreadable>";
      reading.references.push_back(
          absl::StrCat(words[1], " ", words[2], " ", kind, " ", value));
    }
  }
  return reading;
}

absl::StatusOr<Reading> OurReading(absl::string_view text) {
  // Accepting or refusing is what `inspect` does.
  absl::StatusOr<Inspection> inspection =
      InspectDockerfile("Dockerfile", text, {});
  if (!inspection.ok()) return inspection.status();
  absl::StatusOr<Dockerfile> dockerfile = ParseDockerfile("Dockerfile", text);
  if (!dockerfile.ok()) return dockerfile.status();
  absl::StatusOr<std::vector<ReferenceUse>> references =
      ExpandReferences(*dockerfile, {});
  if (!references.ok()) return references.status();
  Reading reading;
  for (const Instruction& instruction : dockerfile->instructions) {
    reading.instructions.push_back(absl::StrCat(
        instruction.keyword, " ", instruction.line, "-", instruction.end_line));
  }
  for (const Stage& stage : dockerfile->stages) {
    reading.stages.push_back(absl::StrCat(stage.line, " name=", stage.name,
                                          " base=", stage.base,
                                          " platform=", stage.platform));
  }
  for (const ReferenceUse& use : *references) {
    // BuildKit's reading has no mount references; they are ours.
    if (use.source == ReferenceUse::Source::kRunMountFrom) continue;
    const char* kind = use.target == ReferenceUse::Target::kScratch ? "scratch"
                       : use.target == ReferenceUse::Target::kStage ? "stage"
                                                                    : "image";
    reading.references.push_back(absl::StrCat(
        use.line, " ", use.Instruction(), " ", kind, " ",
        use.source == ReferenceUse::Source::kFrom ? use.expanded : use.raw));
  }
  return reading;
}

// The first difference between two lists, or "".
std::string FirstDifference(absl::string_view what,
                            const std::vector<std::string>& ours,
                            const std::vector<std::string>& theirs) {
  for (size_t i = 0; i < std::max(ours.size(), theirs.size()); ++i) {
    const std::string a = i < ours.size() ? ours[i] : "(none)";
    const std::string b = i < theirs.size() ? theirs[i] : "(none)";
    if (a != b) {
      return absl::StrCat(what, " #", i + 1, ": ours \"", a,
                          "\", BuildKit's \"", b, "\"");
    }
  }
  return "";
}

// How our reading differs from BuildKit's, or "" when it does not.
std::string Difference(const ConformanceCase& c) {
  absl::StatusOr<Reading> ours = OurReading(c.dockerfile());
  if (c.ref_rc() != 0) {
    if (ours.ok()) {
      std::string reason;
      for (absl::string_view line : absl::StrSplit(c.ref_stdout(), '\n')) {
        if (absl::StrContains(line, "ERROR")) reason = std::string(line);
      }
      return absl::StrCat("we accept what BuildKit refuses (", reason, ")");
    }
    return "";
  }
  if (!ours.ok()) {
    return absl::StrCat("we refuse what BuildKit accepts: ",
                        ours.status().message());
  }
  const Reading theirs = BuildKitReading(c.ref_stdout());
  for (const std::string& difference :
       {FirstDifference("instruction", ours->instructions, theirs.instructions),
        FirstDifference("stage", ours->stages, theirs.stages),
        FirstDifference("reference", ours->references, theirs.references)}) {
    if (!difference.empty()) return difference;
  }
  return "";
}

TEST(ConformanceTest, ReadsBuildKitsTestDockerfilesAsBuildKitDoes) {
  const std::string data = RunfilesPath(kDataFile);
  if (data.empty()) {
    std::string expected = "../shared/conformance/";
    if (FILE* f = std::fopen(RunfilesPath("expected_path.txt").c_str(), "r")) {
      char line[4096] = {0};
      if (std::fgets(line, sizeof(line), f) != nullptr) {
        expected = std::string(absl::StripTrailingAsciiWhitespace(line));
      }
      std::fclose(f);
    }
    FAIL() << "BuildKit's conformance data is missing: expected " << expected
           << " (the project's ../shared/conformance/" << kDataFile
           << ", beside the project root; it is read in place, never copied "
              "into the project). Put the shared folder back beside the "
              "project, then re-run (bazel re-reads it on `bazel sync "
              "--only=buildkit_conformance`).";
  }
  const std::string text = ReadGzip(data);
  ASSERT_FALSE(text.empty()) << data << ": not a readable gzip file";

  int total = 0;
  int agree = 0;
  std::vector<std::string> unexpected;
  std::map<std::string, std::string> known_seen;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ConformanceCase c;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line),
                                                            &c, options)
                    .ok())
        << data << ": line " << total + 1 << " is not a conformance case";
    ++total;
    const std::string difference = Difference(c);
    const std::string name = absl::StrCat(c.group(), "/", c.name());
    const auto known = KnownDifferences().find(c.name());
    if (difference.empty()) {
      ++agree;
      if (known != KnownDifferences().end()) {
        unexpected.push_back(absl::StrCat(
            name, ": listed as a known difference (", known->second,
            ") but now agrees: remove it from kKnownDifferences and the "
            "README"));
      }
    } else if (known != KnownDifferences().end()) {
      known_seen[c.name()] = difference;
    } else {
      unexpected.push_back(absl::StrCat(name, ": ", difference));
    }
  }
  const double agreement = total == 0 ? 0 : static_cast<double>(agree) / total;
  std::printf(
      "conformance: %d of %d BuildKit test Dockerfiles read as "
      "BuildKit reads them (%.1f%%); %zu known differences\n",
      agree, total, 100 * agreement, known_seen.size());
  for (const auto& [name, difference] : known_seen) {
    std::printf("  known: %s: %s (%s)\n", name.c_str(), difference.c_str(),
                KnownDifferences().at(name).c_str());
  }
  EXPECT_EQ(total, 655) << data << ": the data set changed";
  EXPECT_GE(agreement, kMinimumAgreement);
  EXPECT_TRUE(unexpected.empty())
      << unexpected.size() << " unlisted differences:\n  "
      << absl::StrJoin(unexpected, "\n  ");
}

}  // namespace
}  // namespace imagegraph
