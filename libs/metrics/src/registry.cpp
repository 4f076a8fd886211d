#include "commerce/metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <variant>

namespace commerce::metrics {

// ---- metrics -------------------------------------------------------------------------------

void Counter::inc(double by) {
  if (!(by >= 0)) throw std::invalid_argument("metrics: a counter only goes up");
  value_.fetch_add(by, std::memory_order_relaxed);
}
double Counter::value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::set(double v) { value_.store(v, std::memory_order_relaxed); }
void Gauge::inc(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
void Gauge::dec(double by) { value_.fetch_sub(by, std::memory_order_relaxed); }
double Gauge::value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  for (double b : bounds_) {
    if (std::isnan(b)) throw std::invalid_argument("metrics: histogram bound is NaN");
  }
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  if (!bounds_.empty() && std::isinf(bounds_.back()) && bounds_.back() > 0) bounds_.pop_back();
  counts_.assign(bounds_.size() + 1, 0);  // last: +Inf
}

void Histogram::observe(double v) {
  // First bucket whose upper bound is >= v (le semantics); NaN lands in +Inf.
  const auto idx = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                            bounds_.begin());
  std::lock_guard lock(mutex_);
  ++counts_[idx];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  std::lock_guard lock(mutex_);
  s.cumulative_counts.reserve(counts_.size());
  std::uint64_t running = 0;
  for (auto c : counts_) {
    running += c;
    s.cumulative_counts.push_back(running);
  }
  s.sum = sum_;
  s.count = count_;
  return s;
}

std::vector<double> default_seconds_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// ---- rendering -----------------------------------------------------------------------------

namespace {

// Prometheus number spelling: +Inf, -Inf, NaN; exact integers without exponent; otherwise the
// shortest representation that round-trips.
std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {  // 2^53: exact as int64
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

std::string escape_label_value(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// {a="x",b="y"} plus an optional extra pair (le for buckets); "" when there are no labels.
std::string label_set(const std::vector<std::string>& names, const LabelValues& values,
                      const char* extra_name = nullptr, const std::string& extra_value = "") {
  if (names.empty() && extra_name == nullptr) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i] + "=\"" + escape_label_value(values[i]) + '"';
  }
  if (extra_name != nullptr) {
    if (!names.empty()) out += ',';
    out += std::string(extra_name) + "=\"" + escape_label_value(extra_value) + '"';
  }
  return out + "}";
}

bool valid_name(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

void check_names(const std::string& name, const std::vector<std::string>& labels, bool histogram) {
  if (!valid_name(name, true)) {
    throw std::invalid_argument("metrics: invalid metric name \"" + name + "\"");
  }
  for (const auto& l : labels) {
    if (!valid_name(l, false) || l.rfind("__", 0) == 0) {
      throw std::invalid_argument("metrics: invalid label name \"" + l + "\" on " + name);
    }
    if (histogram && l == "le") {
      throw std::invalid_argument("metrics: histogram " + name + " cannot use label \"le\"");
    }
  }
}

template <class F>
void render_family(std::ostringstream& out, const Family<F>& family, const char* type) {
  out << "# HELP " << family.name() << ' ' << escape_help(family.help()) << '\n';
  out << "# TYPE " << family.name() << ' ' << type << '\n';
}

}  // namespace

// Finds an existing family of this name: same type and label names, or invalid_argument.
// (Entries is deduced: Registry::Entry is private to Registry.)
template <class Metric, class Entries>
static Family<Metric>* existing(const Entries& entries, const std::string& name,
                                const std::vector<std::string>& labels) {
  for (const auto& e : entries) {
    if (e->name() != name) continue;
    auto* f = std::get_if<std::unique_ptr<Family<Metric>>>(&e->family);
    if (f == nullptr) {
      throw std::invalid_argument("metrics: " + name + " is already registered as another type");
    }
    if ((*f)->label_names() != labels) {
      throw std::invalid_argument("metrics: " + name +
                                  " is already registered with other label names");
    }
    return f->get();
  }
  return nullptr;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  check_names(name, label_names, false);
  if (name.size() <= 6 || name.compare(name.size() - 6, 6, "_total") != 0) {
    throw std::invalid_argument("metrics: counter " + name + " must be named *_total");
  }
  std::lock_guard lock(mutex_);
  if (auto* f = existing<Counter>(entries_, name, label_names)) return *f;
  auto family = std::make_unique<Family<Counter>>(name, help, std::move(label_names),
                                                  [] { return std::make_unique<Counter>(); });
  auto& ref = *family;
  if (ref.label_names().empty()) ref.with();  // label-less metrics show 0 from the start
  entries_.push_back(std::make_unique<Entry>(Entry{std::move(family)}));
  return ref;
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  check_names(name, label_names, false);
  std::lock_guard lock(mutex_);
  if (auto* f = existing<Gauge>(entries_, name, label_names)) return *f;
  auto family = std::make_unique<Family<Gauge>>(name, help, std::move(label_names),
                                                [] { return std::make_unique<Gauge>(); });
  auto& ref = *family;
  if (ref.label_names().empty()) ref.with();
  entries_.push_back(std::make_unique<Entry>(Entry{std::move(family)}));
  return ref;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> buckets) {
  check_names(name, label_names, true);
  // Validate the buckets once, here, rather than on the first with().
  Histogram probe(buckets);
  std::lock_guard lock(mutex_);
  if (auto* f = existing<Histogram>(entries_, name, label_names)) return *f;
  auto family = std::make_unique<Family<Histogram>>(
      name, help, std::move(label_names),
      [buckets = std::move(buckets)] { return std::make_unique<Histogram>(buckets); });
  auto& ref = *family;
  if (ref.label_names().empty()) ref.with();
  entries_.push_back(std::make_unique<Entry>(Entry{std::move(family)}));
  return ref;
}

void Registry::on_collect(std::function<void()> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  // Outside the lock: collectors may register or look up families.
  for (const auto& c : collectors) c();

  std::ostringstream out;
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    const auto& names = e->label_names();
    if (auto* c = std::get_if<std::unique_ptr<Family<Counter>>>(&e->family)) {
      render_family(out, **c, "counter");
      for (const auto& [values, m] : (*c)->children()) {
        out << (*c)->name() << label_set(names, values) << ' ' << format_number(m->value()) << '\n';
      }
    } else if (auto* g = std::get_if<std::unique_ptr<Family<Gauge>>>(&e->family)) {
      render_family(out, **g, "gauge");
      for (const auto& [values, m] : (*g)->children()) {
        out << (*g)->name() << label_set(names, values) << ' ' << format_number(m->value()) << '\n';
      }
    } else if (auto* h = std::get_if<std::unique_ptr<Family<Histogram>>>(&e->family)) {
      const auto& name = (*h)->name();
      render_family(out, **h, "histogram");
      for (const auto& [values, m] : (*h)->children()) {
        const auto s = m->snapshot();
        for (std::size_t i = 0; i < s.cumulative_counts.size(); ++i) {
          const std::string le =
              i < s.upper_bounds.size() ? format_number(s.upper_bounds[i]) : "+Inf";
          out << name << "_bucket" << label_set(names, values, "le", le) << ' '
              << s.cumulative_counts[i] << '\n';
        }
        out << name << "_sum" << label_set(names, values) << ' ' << format_number(s.sum) << '\n';
        out << name << "_count" << label_set(names, values) << ' ' << s.count << '\n';
      }
    }
  }
  return out.str();
}

}  // namespace commerce::metrics
