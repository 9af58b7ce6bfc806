#include "tools/imagebuild/zstd_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/common/file_util.h"
#include "tools/common/status_macros.h"
#include "zstd.h"

namespace imagegraph {
namespace {

// Input is read in 1 MiB chunks (libzstd gathers them into its larger jobs);
// a few chunks in flight on each side let reading, compressing and writing
// overlap.
constexpr size_t kReadSize = 1 << 20;
constexpr int kBuffersPerSide = 8;

struct Chunk {
  // Left uninitialized: every byte used is first written by a read or by
  // libzstd.
  explicit Chunk(size_t capacity)
      : storage(new char[capacity]), capacity(capacity) {}
  char* data() { return storage.get(); }
  std::unique_ptr<char[]> storage;
  size_t capacity;
  size_t size = 0;
};

// A hand-over of chunks between threads. Close() makes Pop() return nullopt
// once empty and Push() refuse.
class ChunkQueue {
 public:
  bool Push(Chunk chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    chunks_.push_back(std::move(chunk));
    ready_.notify_one();
    return true;
  }

  std::optional<Chunk> Pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return closed_ || !chunks_.empty(); });
    if (chunks_.empty()) return std::nullopt;
    Chunk chunk = std::move(chunks_.front());
    chunks_.pop_front();
    return chunk;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Chunk> chunks_;
  bool closed_ = false;
};

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* ctx) const { ZSTD_freeCCtx(ctx); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

class InputFile {
 public:
  static absl::StatusOr<std::unique_ptr<InputFile>> Open(
      absl::string_view path) {
    IG_ASSIGN_OR_RETURN(OpenFile file, OpenFile::Open(path));
    posix_fadvise(file.fd(), 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<InputFile>(new InputFile(std::move(file)));
  }

  // The file's size, or -1 when it cannot be known ahead (a pipe).
  int64_t Size() const {
    struct stat st;
    if (fstat(file_.fd(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return st.st_size;
  }

  // Fills `buffer` as far as possible; returns the byte count (0 at EOF).
  absl::StatusOr<size_t> Read(char* buffer, size_t size) {
    size_t total = 0;
    while (total < size) {
      ssize_t n = read(file_.fd(), buffer + total, size - total);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(file_.path(), "cannot read", errno);
      }
      if (n == 0) break;
      total += n;
    }
    return total;
  }

 private:
  explicit InputFile(OpenFile file) : file_(std::move(file)) {}
  OpenFile file_;
};

absl::Status ZstdError(absl::string_view path, absl::string_view what,
                       size_t code) {
  return absl::InternalError(
      absl::StrCat(path, ": ", what, ": ", ZSTD_getErrorName(code)));
}

}  // namespace

int ResolveZstdThreads(int threads) {
  if (threads > 0) return threads;
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

absl::StatusOr<ZstdStats> AppendZstdFrame(
    const std::vector<ZstdSource>& sources, AtomicFileWriter& output,
    const ZstdOptions& options) {
  if (options.level < ZSTD_minCLevel() || options.level > ZSTD_maxCLevel()) {
    return absl::InvalidArgumentError(
        absl::StrCat("zstd level ", options.level, " is out of range ",
                     ZSTD_minCLevel(), "..", ZSTD_maxCLevel()));
  }
  const std::string& output_path = output.path();
  std::vector<std::unique_ptr<InputFile>> inputs(sources.size());
  int64_t total_size = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].path.empty()) {
      total_size += sources[i].bytes.size();
      continue;
    }
    IG_ASSIGN_OR_RETURN(inputs[i], InputFile::Open(sources[i].path));
    const int64_t size = inputs[i]->Size();
    total_size = size < 0 || total_size < 0 ? -1 : total_size + size;
  }

  std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  if (ctx == nullptr) return absl::ResourceExhaustedError("ZSTD_createCCtx");
  size_t rc =
      ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, options.level);
  if (ZSTD_isError(rc)) return ZstdError(output_path, "level", rc);
  rc = ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_nbWorkers,
                              ResolveZstdThreads(options.threads));
  if (ZSTD_isError(rc)) {
    return ZstdError(output_path, "libzstd without thread support", rc);
  }
  ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1);
  // Recording the size in the frame header lets `zstd -l` and decoders see
  // it, and lets libzstd size its windows for small inputs.
  if (total_size >= 0) {
    ZSTD_CCtx_setPledgedSrcSize(ctx.get(), static_cast<uint64_t>(total_size));
  }

  // Reading and writing run on threads of their own (as the zstd CLI does),
  // so the compression workers never wait for the disk.
  ChunkQueue free_inputs, full_inputs, free_outputs, full_outputs;
  for (int i = 0; i < kBuffersPerSide; ++i) {
    free_inputs.Push(Chunk(kReadSize));
    free_outputs.Push(Chunk(ZSTD_CStreamOutSize() * 8));
  }
  absl::Status read_status, write_status;
  std::thread reader([&] {
    size_t source = 0;
    size_t copied = 0;  // of the current in-memory source
    std::optional<Chunk> chunk;
    while (source < sources.size() && (chunk = free_inputs.Pop())) {
      chunk->size = 0;
      // Fills the chunk from as many sources as it takes.
      while (chunk->size < chunk->capacity && source < sources.size()) {
        char* room = chunk->data() + chunk->size;
        const size_t room_size = chunk->capacity - chunk->size;
        if (inputs[source] == nullptr) {
          const std::string& bytes = sources[source].bytes;
          const size_t take = std::min(room_size, bytes.size() - copied);
          memcpy(room, bytes.data() + copied, take);
          chunk->size += take;
          copied += take;
          if (copied == bytes.size()) ++source, copied = 0;
          continue;
        }
        absl::StatusOr<size_t> got = inputs[source]->Read(room, room_size);
        if (!got.ok()) {
          read_status = got.status();
          source = sources.size();
          chunk->size = 0;
          break;
        }
        chunk->size += *got;
        if (*got < room_size) ++source;  // at its end
      }
      if (chunk->size == 0) break;
      if (!full_inputs.Push(*std::move(chunk))) break;
    }
    full_inputs.Close();
  });
  std::thread writer([&] {
    while (std::optional<Chunk> chunk = full_outputs.Pop()) {
      write_status =
          output.Write(absl::string_view(chunk->data(), chunk->size));
      if (!write_status.ok()) break;
      free_outputs.Push(*std::move(chunk));
    }
    // Unblocks the compressing thread if the write failed.
    free_outputs.Close();
  });
  auto stop_threads = [&] {
    free_inputs.Close();
    full_inputs.Close();
    full_outputs.Close();
    reader.join();
    writer.join();
  };

  ZstdStats stats;
  absl::Status status;
  // Compresses `in` with `mode` until it is consumed (and, for ZSTD_e_end,
  // flushed), handing the output to the writer.
  auto compress = [&](ZSTD_inBuffer in, ZSTD_EndDirective mode) {
    while (true) {
      std::optional<Chunk> out_chunk = free_outputs.Pop();
      if (!out_chunk) return false;  // the writer failed
      ZSTD_outBuffer out = {out_chunk->data(), out_chunk->capacity, 0};
      size_t remaining = ZSTD_compressStream2(ctx.get(), &out, &in, mode);
      if (ZSTD_isError(remaining)) {
        status = ZstdError(output_path, "compression failed", remaining);
        return false;
      }
      out_chunk->size = out.pos;
      stats.output_bytes += out.pos;
      if (out.pos > 0) {
        if (!full_outputs.Push(*std::move(out_chunk))) return false;
      } else {
        free_outputs.Push(*std::move(out_chunk));
      }
      if (mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size) {
        return true;
      }
    }
  };
  bool ok = true;
  while (ok) {
    std::optional<Chunk> chunk = full_inputs.Pop();
    if (!chunk) break;
    stats.input_bytes += chunk->size;
    ok = compress({chunk->data(), chunk->size, 0}, ZSTD_e_continue);
    free_inputs.Push(*std::move(chunk));
  }
  if (ok && read_status.ok()) ok = compress({nullptr, 0, 0}, ZSTD_e_end);
  full_outputs.Close();
  stop_threads();
  IG_RETURN_IF_ERROR(read_status);
  IG_RETURN_IF_ERROR(write_status);
  IG_RETURN_IF_ERROR(status);
  return stats;
}

absl::StatusOr<ZstdStats> CompressFileZstd(absl::string_view input_path,
                                           absl::string_view output_path,
                                           const ZstdOptions& options) {
  IG_ASSIGN_OR_RETURN(AtomicFileWriter output,
                      AtomicFileWriter::Open(output_path));
  IG_ASSIGN_OR_RETURN(
      ZstdStats stats,
      AppendZstdFrame({ZstdSource{.path = std::string(input_path)}}, output,
                      options));
  IG_RETURN_IF_ERROR(output.Commit());
  return stats;
}

absl::StatusOr<uint64_t> ZstdFrameContentSize(absl::string_view frame) {
  const unsigned long long size =
      ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) {
    return absl::InvalidArgumentError("not the start of a zstd frame");
  }
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::InvalidArgumentError(
        "a zstd frame that does not record its content size");
  }
  return static_cast<uint64_t>(size);
}

absl::StatusOr<std::string> DecompressZstdFrame(absl::string_view frame,
                                                uint64_t max_size) {
  IG_ASSIGN_OR_RETURN(uint64_t size, ZstdFrameContentSize(frame));
  if (size > max_size) {
    return absl::InvalidArgumentError(absl::StrCat("a zstd frame of ", size,
                                                   " bytes where at most ",
                                                   max_size, " are expected"));
  }
  if (ZSTD_findFrameCompressedSize(frame.data(), frame.size()) !=
      frame.size()) {
    return absl::InvalidArgumentError("not exactly one whole zstd frame");
  }
  std::string content(size, '\0');
  const size_t got = ZSTD_decompress(content.data(), content.size(),
                                     frame.data(), frame.size());
  if (ZSTD_isError(got) || got != size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "corrupt zstd frame: ",
        ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short content"));
  }
  return content;
}

absl::StatusOr<bool> IsZstdFile(absl::string_view path) {
  IG_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> input, InputFile::Open(path));
  unsigned char magic[4];
  IG_ASSIGN_OR_RETURN(size_t got,
                      input->Read(reinterpret_cast<char*>(magic), 4));
  return got == 4 && magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F &&
         magic[3] == 0xFD;
}

absl::StatusOr<ZstdStats> DecompressZstdStream(
    absl::string_view input_path,
    const std::function<absl::Status(absl::string_view)>& consume) {
  IG_ASSIGN_OR_RETURN(bool is_zstd, IsZstdFile(input_path));
  if (!is_zstd) {
    return absl::InvalidArgumentError(
        absl::StrCat(input_path, ": not a zstd file"));
  }
  IG_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> input,
                      InputFile::Open(input_path));
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  if (ctx == nullptr) return absl::ResourceExhaustedError("ZSTD_createDCtx");

  std::vector<char> in_buffer(ZSTD_DStreamInSize() * 16);
  std::vector<char> out_buffer(ZSTD_DStreamOutSize() * 16);
  ZstdStats stats;
  size_t frame_remaining = 0;
  while (true) {
    IG_ASSIGN_OR_RETURN(size_t got,
                        input->Read(in_buffer.data(), in_buffer.size()));
    if (got == 0) break;
    stats.input_bytes += got;
    ZSTD_inBuffer in = {in_buffer.data(), got, 0};
    // A full output buffer may leave decoded bytes inside the context, so
    // keep draining until it comes back with room to spare.
    bool output_full = false;
    while (in.pos < in.size || output_full) {
      ZSTD_outBuffer out = {out_buffer.data(), out_buffer.size(), 0};
      frame_remaining = ZSTD_decompressStream(ctx.get(), &out, &in);
      if (ZSTD_isError(frame_remaining)) {
        return absl::InvalidArgumentError(absl::StrCat(
            input_path,
            ": corrupt zstd data: ", ZSTD_getErrorName(frame_remaining)));
      }
      IG_RETURN_IF_ERROR(
          consume(absl::string_view(out_buffer.data(), out.pos)));
      stats.output_bytes += out.pos;
      output_full = out.pos == out.size;
    }
  }
  if (frame_remaining != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(input_path, ": truncated zstd data"));
  }
  return stats;
}

absl::StatusOr<ZstdStats> DecompressFileZstd(absl::string_view input_path,
                                             absl::string_view output_path) {
  IG_ASSIGN_OR_RETURN(AtomicFileWriter output,
                      AtomicFileWriter::Open(output_path));
  IG_ASSIGN_OR_RETURN(
      ZstdStats stats,
      DecompressZstdStream(input_path, [&output](absl::string_view data) {
        return output.Write(data);
      }));
  IG_RETURN_IF_ERROR(output.Commit());
  return stats;
}

}  // namespace imagegraph
