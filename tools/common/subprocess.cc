#include "tools/common/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace imagegraph {
namespace {

// An atomic rather than a volatile sig_atomic_t: the handler may run on any
// thread, and a thread that publishes a child's slot and then reads this must
// not miss a signal whose handler read the slot before it was published.
std::atomic<int> g_interrupt_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

// The running children an interrupt is passed on to, one slot each (threads
// may run children at once): pid 0 is a free slot, -1 one being filled.
// Lock-free atomics, so that the signal handler may read them.
constexpr int kChildSlots = 8;
struct ChildSlot {
  std::atomic<pid_t> pid{0};
  std::atomic<int> interrupt_signal{0};
};
ChildSlot g_children[kChildSlots];
static_assert(std::atomic<pid_t>::is_always_lock_free);

void OnInterrupt(int signal_number) {
  g_interrupt_signal = signal_number;
  for (ChildSlot& slot : g_children) {
    pid_t child = slot.pid.load();
    int child_signal = slot.interrupt_signal.load();
    if (child > 0) {
      kill(child, child_signal != 0 ? child_signal : signal_number);
    }
  }
}

// A free slot, taken; nullptr when every slot is taken (the child then runs
// without interrupts passed on, and the call still fails after it).
ChildSlot* TakeChildSlot() {
  for (ChildSlot& slot : g_children) {
    pid_t free = 0;
    if (slot.pid.compare_exchange_strong(free, -1)) return &slot;
  }
  return nullptr;
}

absl::Status InterruptedError() {
  const int signal_number = g_interrupt_signal.load();
  return absl::CancelledError(absl::StrCat("interrupted by signal ",
                                           signal_number, " (",
                                           strsignal(signal_number), ")"));
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         (st.st_mode & 0111) != 0 && access(path.c_str(), X_OK) == 0;
}

// Collects bytes of one stream and hands complete lines to a callback.
class LineSplitter {
 public:
  explicit LineSplitter(const std::function<void(absl::string_view)>* callback)
      : callback_(callback) {}

  void Append(std::string* sink, const char* data, size_t size) {
    sink->append(data, size);
    if (callback_ == nullptr || !*callback_) return;
    pending_.append(data, size);
    size_t start = 0;
    for (size_t newline;
         (newline = pending_.find('\n', start)) != std::string::npos;
         start = newline + 1) {
      (*callback_)(absl::string_view(pending_).substr(start, newline - start));
    }
    pending_.erase(0, start);
  }

  void Flush() {
    if (callback_ != nullptr && *callback_ && !pending_.empty()) {
      (*callback_)(pending_);
    }
    pending_.clear();
  }

 private:
  const std::function<void(absl::string_view)>* callback_;
  std::string pending_;
};

}  // namespace

void InstallInterruptHandler() {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    sigaction(signal_number, &action, nullptr);
  }
}

int InterruptSignal() { return g_interrupt_signal.load(); }

absl::StatusOr<std::string> FindExecutable(absl::string_view program) {
  std::string name(program);
  if (name.empty()) return absl::NotFoundError("empty program name");
  if (name.find('/') != std::string::npos) {
    if (IsExecutableFile(name)) return name;
    return absl::NotFoundError(absl::StrCat(name, ": no such executable"));
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = absl::StrCat(dir, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat(name, ": not found in PATH (", path, ")"));
}

absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv, const SubprocessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  const bool interruptible = !options.run_when_interrupted;
  if (interruptible && g_interrupt_signal != 0) return InterruptedError();
  std::string program;
  {
    auto found = FindExecutable(argv[0]);
    if (!found.ok()) return found.status();
    program = *std::move(found);
  }

  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<char*> child_argv;
  for (const std::string& arg : argv) {
    child_argv.push_back(const_cast<char*>(arg.c_str()));
  }
  child_argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view kv(*entry);
    absl::string_view name = kv.substr(0, kv.find('='));
    bool overridden = false;
    for (const std::string& unset : options.unset_env) {
      if (name == unset) overridden = true;
    }
    for (const std::string& extra : options.extra_env) {
      size_t eq = extra.find('=');
      if (kv.substr(0, kv.find('=') + 1) == extra.substr(0, eq + 1)) {
        overridden = true;
        break;
      }
    }
    if (!overridden) env_storage.emplace_back(kv);
  }
  for (const std::string& extra : options.extra_env) {
    env_storage.push_back(extra);
  }
  std::vector<char*> child_env;
  for (std::string& kv : env_storage) child_env.push_back(kv.data());
  child_env.push_back(nullptr);

  int out_pipe[2], err_pipe[2], exec_error_pipe[2];
  // Close-on-exec from the start: a child another thread starts meanwhile
  // must not hold these pipes open.
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(exec_error_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }

  const pid_t parent_pid = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    if (options.kill_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      // The parent may have died before prctl took effect.
      if (getppid() != parent_pid) _exit(127);
    }
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(options.merge_stderr_into_stdout ? out_pipe[1] : err_pipe[1],
         STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (!options.working_directory.empty() &&
        chdir(options.working_directory.c_str()) != 0) {
      int error = errno;
      (void)!write(exec_error_pipe[1], &error, sizeof(error));
      _exit(127);
    }
    execve(program.c_str(), child_argv.data(), child_env.data());
    int error = errno;
    (void)!write(exec_error_pipe[1], &error, sizeof(error));
    _exit(127);
  }

  ChildSlot* slot = interruptible ? TakeChildSlot() : nullptr;
  if (interruptible) {
    if (slot != nullptr) {
      slot->interrupt_signal = options.signal_on_interrupt;
      slot->pid = pid;
    }
    // A signal that arrived between the check above and now was not passed
    // on.
    if (const int signal_number = g_interrupt_signal.load();
        signal_number != 0) {
      kill(pid, options.signal_on_interrupt != 0 ? options.signal_on_interrupt
                                                 : signal_number);
    }
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_error_pipe[1]);

  SubprocessResult result;
  LineSplitter out_lines(&options.on_stdout_line);
  LineSplitter err_lines(nullptr);
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_streams = 2;
  char buffer[65536];
  while (open_streams > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_streams;
        continue;
      }
      if (i == 0) {
        out_lines.Append(&result.stdout_text, buffer, n);
      } else {
        err_lines.Append(&result.stderr_text, buffer, n);
      }
    }
  }
  out_lines.Flush();

  int exec_error = 0;
  ssize_t got = read(exec_error_pipe[0], &exec_error, sizeof(exec_error));
  close(exec_error_pipe[0]);

  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      if (slot != nullptr) slot->pid = 0;
      return absl::InternalError(absl::StrCat("waitpid: ", strerror(errno)));
    }
  }
  if (slot != nullptr) slot->pid = 0;
  if (interruptible) {
    if (g_interrupt_signal != 0) return InterruptedError();
  }
  if (got == sizeof(exec_error)) {
    std::string what = absl::StrCat(program, ": ", strerror(exec_error));
    if (exec_error == ENOENT) return absl::NotFoundError(what);
    return absl::InternalError(absl::StrCat("cannot run ", what));
  }
  if (WIFSIGNALED(wait_status)) {
    result.signaled = true;
    result.exit_code = 128 + WTERMSIG(wait_status);
  } else {
    result.exit_code = WEXITSTATUS(wait_status);
  }
  return result;
}

std::string LastLines(absl::string_view text, int max_lines) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  size_t start = text.size();
  for (int lines = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++lines == max_lines) break;
  }
  return std::string(text.substr(start));
}

}  // namespace imagegraph
