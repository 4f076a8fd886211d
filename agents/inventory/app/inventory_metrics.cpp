#include "app/inventory_metrics.hpp"

#include "commerce/metrics/registry.hpp"

namespace inventory {

InventoryMetrics::InventoryMetrics(commerce::metrics::Registry& registry)
    : reservations_(registry.counter("inventory_reservations_total",
                                     "Stock reservations decided, by outcome", {"outcome"})),
      stock_outs_(
          registry.counter("inventory_stock_outs_total",
                           "SKUs a refused reservation could not get (one per SKU short)")) {
  reservations_.with({"reserved"});
  reservations_.with({"out_of_stock"});
  stock_outs_.with();
}

void InventoryMetrics::reserved() { reservations_.with({"reserved"}).inc(); }

void InventoryMetrics::out_of_stock(std::size_t short_skus) {
  reservations_.with({"out_of_stock"}).inc();
  stock_outs_.with().inc(static_cast<double>(short_skus));
}

}  // namespace inventory
