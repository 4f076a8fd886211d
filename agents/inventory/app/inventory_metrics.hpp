#pragma once
// The inventory agent's business metrics: reservations by outcome and stock-outs (SKUs a
// reservation asked for and could not get).
#include <cstddef>

#include "commerce/metrics/fwd.hpp"

namespace inventory {

class InventoryMetrics {
 public:
  explicit InventoryMetrics(commerce::metrics::Registry& registry);
  void reserved();
  // A reservation refused; `short_skus` lines could not be covered.
  void out_of_stock(std::size_t short_skus);

 private:
  commerce::metrics::Family<commerce::metrics::Counter>& reservations_;
  commerce::metrics::Family<commerce::metrics::Counter>& stock_outs_;
};

}  // namespace inventory
