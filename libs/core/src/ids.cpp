#include "commerce/core/ids.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace commerce::core {

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}
namespace {

void fill_random(unsigned char* out, std::size_t n) {
  if (n == 0) return;
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    throw std::runtime_error("core: RAND_bytes failed");
  }
}

// Ids and trace ids take their random bits from the same generator, a few bytes at a time. One
// RAND_bytes call per id was 4 % of a busy agent's time, mostly per-call work (locks, the DRBG's
// bookkeeping), so every thread draws a block and hands it out.
class RandomBlock {
 public:
  void take(unsigned char* out, std::size_t n) {
    while (n > 0) {
      if (used_ == block_.size()) {
        fill_random(block_.data(), block_.size());
        used_ = 0;
      }
      const std::size_t k = std::min(n, block_.size() - used_);
      std::copy_n(block_.data() + used_, k, out);
      std::fill_n(block_.data() + used_, k, 0);  // handed out once
      used_ += k;
      out += k;
      n -= k;
    }
  }

 private:
  std::array<unsigned char, 512> block_{};
  std::size_t used_ = block_.size();
};

void take_random(unsigned char* out, std::size_t n) {
  thread_local RandomBlock block;
  block.take(out, n);
}

std::uint64_t random_u64() {
  std::array<unsigned char, 8> b{};
  take_random(b.data(), b.size());
  std::uint64_t v = 0;
  for (auto c : b) v = (v << 8) | c;
  return v;
}

constexpr char kHex[] = "0123456789abcdef";

std::string to_hex(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0f]);
  }
  return out;
}

// Monotonic within the process (RFC 9562 section 6.2, method 1): a 42-bit counter spread over
// rand_a (12 bits) and the top 30 bits of rand_b, seeded randomly each millisecond with its top
// bit clear so increments within one millisecond cannot overflow in practice. If they do, the
// timestamp is advanced by one millisecond, which keeps ordering.
struct V7State {
  std::mutex mutex;
  std::uint64_t last_ms = 0;
  std::uint64_t counter = 0;
};

constexpr std::uint64_t kCounterBits = 42;
constexpr std::uint64_t kCounterMax = (std::uint64_t{1} << kCounterBits) - 1;

}  // namespace

std::string uuid_v7() {
  static V7State state;
  const auto now_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::uint64_t ms;
  std::uint64_t counter;
  {
    std::lock_guard lock(state.mutex);
    if (now_ms > state.last_ms) {
      state.last_ms = now_ms;
      state.counter = random_u64() & (kCounterMax >> 1);
    } else if (state.counter < kCounterMax) {
      ++state.counter;  // same (or earlier: clock stepped back) millisecond
    } else {
      ++state.last_ms;
      state.counter = random_u64() & (kCounterMax >> 1);
    }
    ms = state.last_ms;
    counter = state.counter;
  }
  const std::uint64_t tail = random_u64();  // low 32 bits used

  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  const std::uint64_t rand_a = counter >> 30;                 // 12 bits
  const std::uint64_t rand_b_high = counter & 0x3fffffffULL;  // 30 bits
  b[6] = static_cast<unsigned char>(0x70 | ((rand_a >> 8) & 0x0f));
  b[7] = static_cast<unsigned char>(rand_a & 0xff);
  // rand_b: 62 bits = 30 counter bits then 32 random bits; variant 10 on top.
  const std::uint64_t rand_b = (rand_b_high << 32) | (tail & 0xffffffffULL);
  const std::uint64_t low = (std::uint64_t{0x2} << 62) | rand_b;
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<unsigned char>(low >> (56 - 8 * i));

  std::string text(36, '-');
  std::size_t at = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) ++at;
    text[at++] = kHex[b[i] >> 4];
    text[at++] = kHex[b[i] & 0x0f];
  }
  return text;
}

std::string uuid_v7_floor(std::chrono::system_clock::time_point t) {
  const auto ms = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  std::array<unsigned char, 6> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  const std::string hex = to_hex(b.data(), b.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-7000-8000-000000000000";
}

std::string to_rfc3339(std::chrono::system_clock::time_point t) {
  const auto ms_total =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::int64_t secs = ms_total / 1000;
  std::int64_t ms = ms_total % 1000;
  if (ms < 0) {  // before 1970: floor, not truncate
    ms += 1000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string now_rfc3339() { return to_rfc3339(std::chrono::system_clock::now()); }

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("core: SHA-256 failed");
  }
  return to_hex(digest, len);
}

std::string random_token(std::size_t bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::vector<unsigned char> raw(bytes);
  fill_random(raw.data(), raw.size());
  std::string out;
  out.reserve((bytes * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes; i += 3) {
    const std::uint32_t v = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes - i;
  if (rest == 1) {
    const std::uint32_t v = raw[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const std::uint32_t v = (raw[i] << 16) | (raw[i + 1] << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string random_hex(std::size_t chars) {
  std::vector<unsigned char> raw((chars + 1) / 2);
  take_random(raw.data(), raw.size());
  std::string hex = to_hex(raw.data(), raw.size());
  hex.resize(chars);
  return hex;
}

}  // namespace commerce::core
