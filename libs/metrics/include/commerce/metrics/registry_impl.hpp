#pragma once
// Template members of Family<Metric>; included at the end of registry.hpp.
#include <stdexcept>
#include <string>
#include <variant>

namespace commerce::metrics {

template <class Metric>
Metric& Family<Metric>::with(const LabelValues& values) {
  if (values.size() != labels_.size()) {
    throw std::invalid_argument("metrics: " + name_ + " takes " + std::to_string(labels_.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
  std::lock_guard lock(mutex_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, make_()).first;
  return *it->second;
}

template <class Metric>
std::vector<std::pair<LabelValues, const Metric*>> Family<Metric>::children() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<LabelValues, const Metric*>> out;
  out.reserve(children_.size());
  for (const auto& [values, metric] : children_) out.emplace_back(values, metric.get());
  return out;
}

// One registered family of any type. Defined here (not in the .cpp) so that Registry's implicit
// destructor sees a complete type wherever it is instantiated.
struct Registry::Entry {
  std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>>
      family;

  const std::string& name() const {
    return std::visit([](const auto& f) -> const std::string& { return f->name(); }, family);
  }
  const std::vector<std::string>& label_names() const {
    return std::visit(
        [](const auto& f) -> const std::vector<std::string>& { return f->label_names(); }, family);
  }
};

}  // namespace commerce::metrics
