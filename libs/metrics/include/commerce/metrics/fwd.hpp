#pragma once
// The metrics library's types, declared only: for headers that hold references to families
// without pulling in the registry.
namespace commerce::metrics {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <class Metric>
class Family;
}  // namespace commerce::metrics
