// Runs a fuzz target without libFuzzer (GCC has none), so that the test suite, the sanitizer
// suite included, runs every target: first every seed, then a fixed number of deterministic
// mutations of the seeds (a seeded PRNG: bit flips, bytes set, inserted, deleted or duplicated,
// truncation, splices of two seeds). The same arguments always run the same inputs.
//
//   fuzz_replay_NAME [--runs N] [--seed S] [--max-len N] [--crash-dir DIR] PATH...
//
// A PATH is a folder of seed files (in name order) or one file; with no --runs, the files only
// (to replay a crash). A target that finds a bug aborts; the input it was given is then written
// to DIR/crash-NAME (the current folder by default) and can be replayed from there by this
// program or by the libFuzzer program NAME_fuzz.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// The sanitizers end a process with _exit after their report, not with a signal; when one of
// them is linked in, it tells us first (weak: absent from a plain build).
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace {

using Bytes = std::vector<std::uint8_t>;

/// splitmix64: small, fast and the same on every platform (std:: distributions are not).
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform enough in [0, n); n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

/// Bytes that break parsers more often than random ones do.
constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '\n', '<', '>',
                                         '"',  '&',  ':',  '@',  '[',  ']',  '0', '9'};

/// One mutation of `input` (bounded by `max_len`), `other` the splice partner.
void mutate(Bytes& input, const Bytes& other, std::size_t max_len, Random& random) {
  const std::size_t size = input.size();
  switch (random.below(9)) {
    case 0:  // flip a bit
      if (size > 0) input[random.below(size)] ^= static_cast<std::uint8_t>(1u << random.below(8));
      break;
    case 1:  // set a byte to an interesting value
      if (size > 0) input[random.below(size)] = kInteresting[random.below(std::size(kInteresting))];
      break;
    case 2:  // set a byte to a random value
      if (size > 0) input[random.below(size)] = static_cast<std::uint8_t>(random.next());
      break;
    case 3:  // insert a byte
      if (size < max_len) {
        const auto at = static_cast<std::ptrdiff_t>(random.below(size + 1));
        const std::uint8_t byte = random.below(2) == 0
                                      ? kInteresting[random.below(std::size(kInteresting))]
                                      : static_cast<std::uint8_t>(random.next());
        input.insert(input.begin() + at, byte);
      }
      break;
    case 4:  // delete a range
      if (size > 0) {
        const std::size_t at = random.below(size);
        const std::size_t n = 1 + random.below(std::min<std::size_t>(size - at, 16));
        input.erase(input.begin() + static_cast<std::ptrdiff_t>(at),
                    input.begin() + static_cast<std::ptrdiff_t>(at + n));
      }
      break;
    case 5:  // duplicate a range in place
      if (size > 0 && size < max_len) {
        const std::size_t at = random.below(size);
        const std::size_t n =
            1 + random.below(std::min<std::size_t>({size - at, 64, max_len - size}));
        const Bytes copy(input.begin() + static_cast<std::ptrdiff_t>(at),
                         input.begin() + static_cast<std::ptrdiff_t>(at + n));
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(at + n), copy.begin(), copy.end());
      }
      break;
    case 6:  // truncate
      input.resize(random.below(size + 1));
      break;
    case 7: {  // splice: a prefix of this one, a suffix of the other
      const std::size_t keep = random.below(size + 1);
      const std::size_t from = random.below(other.size() + 1);
      input.resize(keep);
      input.insert(input.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
      break;
    }
    case 8: {  // a piece of the other one inserted anywhere
      if (other.empty()) break;
      const std::size_t from = random.below(other.size());
      const std::size_t n = 1 + random.below(std::min<std::size_t>(other.size() - from, 64));
      const auto at = static_cast<std::ptrdiff_t>(random.below(size + 1));
      input.insert(input.begin() + at, other.begin() + static_cast<std::ptrdiff_t>(from),
                   other.begin() + static_cast<std::ptrdiff_t>(from + n));
      break;
    }
  }
  if (input.size() > max_len) input.resize(max_len);
}

// ---- what a crash leaves behind ----------------------------------------------------------
// Set before each input; read by the handlers, which may only use async-signal-safe calls.
const std::uint8_t* g_input = nullptr;
std::size_t g_input_size = 0;
std::string g_crash_path;
const char* g_what = "";            ///< "seed" or "mutation": printed with the index
const char* g_seed_file = nullptr;  ///< the seed's file, while seeds run
std::uint64_t g_index = 0;

void say(const char* text) {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

void write_crash_input() {
  if (g_input == nullptr) return;
  say("\nfuzz replay: the target failed on ");
  say(g_what);
  char number[24];
  char* end = number + sizeof number;
  char* at = end;
  *--at = '\0';
  std::uint64_t n = g_index;
  do {
    *--at = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  say(" #");
  say(at);
  if (g_seed_file != nullptr) {
    say(" (");
    say(g_seed_file);
    say(")");
  }
  const int fd = ::open(g_crash_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    std::size_t done = 0;
    while (done < g_input_size) {
      const ssize_t put = ::write(fd, g_input + done, g_input_size - done);
      if (put <= 0) break;
      done += static_cast<std::size_t>(put);
    }
    ::close(fd);
    say("; its input is in ");
    say(g_crash_path.c_str());
  }
  say("\n");
  g_input = nullptr;
}

extern "C" void on_fatal_signal(int signal) {
  write_crash_input();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

/// Runs one input from a buffer of exactly its size, so that ASan sees a read past its end.
void run(const Bytes& input) {
  const std::unique_ptr<std::uint8_t[]> exact(
      new std::uint8_t[std::max<std::size_t>(input.size(), 1)]);
  std::copy(input.begin(), input.end(), exact.get());
  g_input = exact.get();
  g_input_size = input.size();
  LLVMFuzzerTestOneInput(exact.get(), input.size());
  g_input = nullptr;
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "%s\nusage: fuzz_replay [--runs N] [--seed S] [--max-len N] [--crash-dir DIR] "
               "PATH...\n",
               problem);
  std::exit(2);
}

std::uint64_t number(const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') usage("not a number");
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t runs = 0;
  std::uint64_t seed = 1;
  std::size_t max_len = 4096;
  std::filesystem::path crash_dir = ".";
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--runs" && has_value) {
      runs = number(argv[++i]);
    } else if (arg == "--seed" && has_value) {
      seed = number(argv[++i]);
    } else if (arg == "--max-len" && has_value) {
      max_len = number(argv[++i]);
    } else if (arg == "--crash-dir" && has_value) {
      crash_dir = argv[++i];
    } else if (arg.starts_with("--")) {
      usage("unknown option");
    } else {
      paths.emplace_back(arg);
    }
  }
  if (paths.empty()) usage("no seed folder or file");

  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> in_folder;
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) in_folder.push_back(entry.path());
      }
      if (in_folder.empty()) {
        std::fprintf(stderr, "fuzz replay: no seeds in %s\n", path.c_str());
        return 1;
      }
      std::sort(in_folder.begin(), in_folder.end());
      files.insert(files.end(), in_folder.begin(), in_folder.end());
    } else if (std::filesystem::is_regular_file(path)) {
      files.push_back(path);
    } else {
      std::fprintf(stderr, "fuzz replay: %s is neither a folder nor a file\n", path.c_str());
      return 1;
    }
  }

  const std::string name = std::filesystem::path(argv[0]).filename().string();
  g_crash_path = (crash_dir / ("crash-" + name)).string();
  for (const int signal : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    std::signal(signal, on_fatal_signal);
  }
  if (__sanitizer_set_death_callback != nullptr) {
    __sanitizer_set_death_callback(write_crash_input);
  }

  const auto started = std::chrono::steady_clock::now();
  std::vector<Bytes> seeds;
  std::size_t longest = 0;
  g_what = "seed";
  for (const auto& file : files) {
    seeds.push_back(read_file(file));
    g_index = seeds.size() - 1;
    g_seed_file = file.c_str();
    run(seeds.back());
    longest = std::max(longest, seeds.back().size());
  }
  g_seed_file = nullptr;

  // Each mutant: a seed (or, one time in four, the previous mutant, for a short walk away
  // from the seeds) with one to four mutations stacked.
  Random random(seed);
  g_what = "mutation";
  Bytes mutant;
  for (std::uint64_t i = 0; i < runs; ++i) {
    if (i == 0 || random.below(4) != 0) mutant = seeds[random.below(seeds.size())];
    const Bytes& other = seeds[random.below(seeds.size())];
    const std::size_t stacked = 1 + random.below(4);
    for (std::size_t m = 0; m < stacked; ++m) mutate(mutant, other, max_len, random);
    g_index = i;
    run(mutant);
  }

  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  std::printf(
      "%s: %zu seeds (longest %zu bytes), %llu mutations (seed %llu): no failure in %.2f s\n",
      name.c_str(), seeds.size(), longest, static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(seed), took.count());
  return 0;
}
