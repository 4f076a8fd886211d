#!/usr/bin/env python3
"""Writes the Grafana dashboards (dashboards/*.json) from the short definitions below, so every
panel has the same datasource, a unique id and a consistent layout.

  generate.py           rewrite dashboards/*.json
  generate.py --check   exit 1 if a file differs from what this script gives (drift test)

Metric names: docs/metrics.md. Every target carries job="commerce" and agent="<name>".
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RI = "$__rate_interval"
J = 'job="commerce"'
ADMIN = 'route!~"/(metrics|healthz|readyz)"'


def q(expr, legend=""):
    return (expr, legend)


def panel(title, targets, unit="short", kind="timeseries", width=12, height=8, description="",
          stack=False):
    return {"title": title, "targets": targets, "unit": unit, "kind": kind, "width": width,
            "height": height, "description": description, "stack": stack}


def row(title):
    return {"row": title}


def quantiles(metric, by, selector, unit_legend=""):
    """p50/p99 of a histogram, grouped by `by` (a label list string, may be empty)."""
    group = f"{by}, le" if by else "le"
    out = []
    for quantile, name in ((0.5, "p50"), (0.99, "p99")):
        legend = f"{name} {{{{{by.split(',')[0].strip()}}}}}" if by else name
        out.append(q(f"histogram_quantile({quantile}, sum by ({group}) "
                     f"(rate({metric}_bucket{{{selector}}}[{RI}])))", legend + unit_legend))
    return out


def zero_when_none(numerator, fallback):
    """`numerator`, or 0 for every series of `fallback` where the numerator has none (no 5xx yet).
    Both sides use the same metric, so a misspelt name still shows as no data."""
    return f"({numerator}) or ({fallback} * 0)"


def build(uid, title, tags, items, variables=(), description=""):
    panels = []
    next_id = 1
    x = y = 0
    row_height = 0
    for item in items:
        if "row" in item:
            if x:
                y += row_height
            x, row_height = 0, 0
            panels.append({"id": next_id, "type": "row", "title": item["row"], "collapsed": False,
                           "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
            next_id += 1
            y += 1
            continue
        if x + item["width"] > 24:
            x, y = 0, y + row_height
            row_height = 0
        targets = []
        for i, (expr, legend) in enumerate(item["targets"]):
            target = {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr,
                      "range": True}
            if legend:
                target["legendFormat"] = legend
            targets.append(target)
        p = {
            "id": next_id,
            "type": item["kind"],
            "title": item["title"],
            "description": item["description"],
            "datasource": DATASOURCE,
            "gridPos": {"h": item["height"], "w": item["width"], "x": x, "y": y},
            "targets": targets,
            "fieldConfig": {"defaults": {"unit": item["unit"]}, "overrides": []},
            "options": {},
        }
        if item["kind"] == "timeseries":
            p["fieldConfig"]["defaults"]["custom"] = {
                "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                "stacking": {"mode": "normal" if item["stack"] else "none", "group": "A"}}
            p["options"] = {"legend": {"displayMode": "list", "placement": "bottom",
                                       "showLegend": True},
                            "tooltip": {"mode": "multi", "sort": "desc"}}
        elif item["kind"] == "stat":
            p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                              "values": False},
                            "colorMode": "value", "graphMode": "area", "textMode": "auto"}
        panels.append(p)
        next_id += 1
        x += item["width"]
        row_height = max(row_height, item["height"])
    templating = []
    for v in variables:
        templating.append({
            "name": v["name"], "label": v["label"], "type": "query", "datasource": DATASOURCE,
            "query": {"query": v["query"], "refId": "variable"}, "definition": v["query"],
            "refresh": 2, "sort": 1, "multi": False, "includeAll": False, "current": {},
            "options": [], "hide": 0})
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["commerce"] + tags,
        "timezone": "utc",
        "schemaVersion": 38,
        "version": 1,
        "editable": False,
        "graphTooltip": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "templating": {"list": templating},
        "links": [],
        "panels": panels,
    }


def fleet_overview():
    http_all = f'sum by (agent) (rate(http_requests_total{{{J}, {ADMIN}}}[{RI}]))'
    http_5xx = f'sum by (agent) (rate(http_requests_total{{{J}, {ADMIN}, status=~"5.."}}[{RI}]))'
    return build("commerce-fleet", "Commerce / Fleet overview", ["fleet"], [
        row("Orders"),
        panel("Orders per minute", [
            q(f"sum(rate(orders_placed_total{{{J}}}[{RI}])) * 60", "placed"),
            q(f"sum(rate(orders_confirmed_total{{{J}}}[{RI}])) * 60", "confirmed"),
            q(f"sum(rate(orders_cancelled_total{{{J}}}[{RI}])) * 60", "cancelled")],
            unit="short", width=8, description="Orders accepted, confirmed and cancelled."),
        panel("Cancellations by reason (per minute)", [
            q(f"sum by (reason) (rate(orders_cancelled_total{{{J}}}[{RI}])) * 60", "{{reason}}")],
            width=8, stack=True),
        panel("Revenue per minute (minor units)", [
            q(f"sum by (currency) (rate(order_revenue_minor_units_total{{{J}}}[{RI}])) * 60",
              "{{currency}}")],
            width=8, description="Totals of confirmed orders, in minor units (cents) per currency."),
        panel("Orders placed (range)", [
            q(f"sum(increase(orders_placed_total{{{J}}}[$__range]))", "placed")],
            kind="stat", width=6, height=5),
        panel("Confirmed (range)", [
            q(f"sum(increase(orders_confirmed_total{{{J}}}[$__range]))", "confirmed")],
            kind="stat", width=6, height=5),
        panel("Revenue (range, minor units)", [
            q(f"sum by (currency) (increase(order_revenue_minor_units_total{{{J}}}[$__range]))",
              "{{currency}}")],
            kind="stat", width=6, height=5),
        panel("Stock-outs and declines (range)", [
            q(f"sum(increase(inventory_stock_outs_total{{{J}}}[$__range]))", "stock-outs"),
            q(f"sum(increase(payment_declines_total{{{J}}}[$__range]))", "declines")],
            kind="stat", width=6, height=5),
        row("Processing times"),
        panel("Order processing time (saga, placed to ended)",
              quantiles("saga_duration_seconds", "", J), unit="s", width=12,
              description="From order.OrderPlaced to the PlaceOrder saga's end."),
        panel("API latency at the gateway", quantiles(
            "http_request_duration_seconds", "", f'{J}, agent="api-gateway", {ADMIN}'),
            unit="s", width=12),
        row("Errors"),
        panel("HTTP 5xx ratio by agent", [
            q(f"({zero_when_none(http_5xx, http_all)}) / {http_all}", "{{agent}}")],
            unit="percentunit", width=8),
        panel("Message failures by agent (per second)", [
            q(f"sum by (agent, kind) (rate(bus_messages_failed_total{{{J}}}[{RI}]))",
              "{{agent}} {{kind}}")], width=8),
        panel("Payment declines by reason (per minute)", [
            q(f"sum by (reason) (rate(payment_declines_total{{{J}}}[{RI}])) * 60", "{{reason}}")],
            width=8, stack=True),
        row("Fleet"),
        panel("Agents up", [q(f"up{{{J}}}", "{{agent}}")], kind="stat", width=24, height=4),
    ], description="Order volume, processing times, error rates and revenue across the fleet.")


def agent_dashboard():
    A = f'{J}, agent="$agent"'
    http_all = f'sum by (route) (rate(http_requests_total{{{A}}}[{RI}]))'
    http_5xx = f'sum by (route) (rate(http_requests_total{{{A}, status=~"5.."}}[{RI}]))'
    return build("commerce-agent", "Commerce / Agent", ["agent"], [
        row("HTTP"),
        panel("Requests by route and status", [
            q(f"sum by (route, method, status) (rate(http_requests_total{{{A}}}[{RI}]))",
              "{{method}} {{route}} {{status}}")], unit="reqps", width=8),
        panel("5xx by route", [q(zero_when_none(http_5xx, http_all), "{{route}}")],
              unit="reqps", width=8),
        panel("p99 latency by route", [
            q(f"histogram_quantile(0.99, sum by (route, le) "
              f"(rate(http_request_duration_seconds_bucket{{{A}}}[{RI}])))", "{{route}}")],
            unit="s", width=8),
        row("Messages"),
        panel("Handled by type", [
            q(f"sum by (type) (rate(messages_handled_total{{{A}}}[{RI}]))", "{{type}}")],
            unit="ops", width=8),
        panel("Handling time p99 by type", [
            q(f"histogram_quantile(0.99, sum by (type, le) "
              f"(rate(message_handling_duration_seconds_bucket{{{A}}}[{RI}])))", "{{type}}")],
            unit="s", width=8),
        panel("Failed, retried, dead-lettered", [
            q(f"sum by (kind) (rate(bus_messages_failed_total{{{A}}}[{RI}]))", "failed {{kind}}"),
            q(f"sum(rate(bus_messages_retried_total{{{A}}}[{RI}]))", "retried"),
            q(f"sum(rate(bus_messages_dead_lettered_total{{{A}}}[{RI}]))", "dead-lettered")],
            unit="ops", width=8),
        panel("Consumer lag by partition", [
            q(f"bus_consumer_lag_messages{{{A}}}", "{{topic}}[{{partition}}]")],
            width=12),
        panel("Batch handling time", quantiles("bus_batch_duration_seconds", "", A), unit="s",
              width=12),
        row("Outbox and database"),
        panel("Outbox backlog", [q(f"outbox_backlog_rows{{{A}}}", "rows")], width=6),
        panel("Outbox oldest row age", [q(f"outbox_oldest_age_seconds{{{A}}}", "age")],
              unit="s", width=6),
        panel("DB pool connections", [
            q(f"db_pool_connections_in_use{{{A}}}", "in use"),
            q(f"db_pool_connections_max{{{A}}}", "max")], width=6),
        panel("DB pool waits", [
            q(f"rate(db_pool_waits_total{{{A}}}[{RI}])", "waits/s"),
            q(f"histogram_quantile(0.99, sum by (le) "
              f"(rate(db_pool_wait_duration_seconds_bucket{{{A}}}[{RI}])))", "p99 wait (s)")],
            width=6),
        panel("Transaction time", quantiles("db_transaction_duration_seconds", "", A),
              unit="s", width=12),
        panel("Transaction retries", [
            q(f"rate(db_transaction_retries_total{{{A}}}[{RI}])", "retries/s")], unit="ops",
            width=12),
    ], variables=[{"name": "agent", "label": "Agent",
                   "query": f"label_values(up{{{J}}}, agent)"}],
        description="One agent: HTTP, messages, outbox, database pool.")


def kafka_dashboard():
    return build("commerce-kafka", "Commerce / Kafka", ["kafka"], [
        row("Lag"),
        panel("Consumer lag by group and topic", [
            q(f"sum by (agent, topic) (bus_consumer_lag_messages{{{J}}})", "{{agent}} {{topic}}")],
            width=24),
        row("Dead letters"),
        panel("Dead-lettered by agent and type (per minute)", [
            q(f"sum by (agent, type) (rate(bus_messages_dead_lettered_total{{{J}}}[{RI}])) * 60",
              "{{agent}} {{type}}")], width=12),
        panel("Dead-lettered (range)", [
            q(f"sum by (agent) (increase(bus_messages_dead_lettered_total{{{J}}}[$__range]))",
              "{{agent}}")], kind="stat", width=12),
        row("Throughput"),
        panel("Consumed by topic", [
            q(f"sum by (topic) (rate(bus_messages_consumed_total{{{J}}}[{RI}]))", "{{topic}}")],
            unit="ops", width=12),
        panel("Published by agent (outbox relay)", [
            q(f"sum by (agent) (rate(outbox_published_total{{{J}}}[{RI}]))", "{{agent}}")],
            unit="ops", width=12),
        panel("Retries and failures by agent", [
            q(f"sum by (agent) (rate(bus_messages_retried_total{{{J}}}[{RI}]))", "{{agent}} retried"),
            q(f"sum by (agent, kind) (rate(bus_messages_failed_total{{{J}}}[{RI}]))",
              "{{agent}} failed {{kind}}")], unit="ops", width=12),
        panel("Batch handling time p99 by agent", [
            q(f"histogram_quantile(0.99, sum by (agent, le) "
              f"(rate(bus_batch_duration_seconds_bucket{{{J}}}[{RI}])))", "{{agent}}")],
            unit="s", width=12),
        panel("Outbox backlog by agent", [
            q(f"max by (agent) (outbox_backlog_rows{{{J}}})", "{{agent}}")], width=12),
        panel("Outbox oldest row by agent", [
            q(f"max by (agent) (outbox_oldest_age_seconds{{{J}}})", "{{agent}}")], unit="s",
            width=12),
    ], description="Consumer lag, dead letters and throughput.")


def sagas_dashboard():
    return build("commerce-sagas", "Commerce / Sagas", ["sagas"], [
        row("State"),
        panel("Sagas by state", [
            q(f"sum by (state) (sagas_in_state{{{J}}})", "{{state}}")], width=12, stack=True),
        panel("Past their step deadline", [
            q(f"sum by (type) (sagas_past_deadline{{{J}}})", "{{type}} count"),
            q(f"max by (type) (saga_oldest_past_deadline_seconds{{{J}}})",
              "{{type}} oldest (s)")], width=12),
        row("Flow"),
        panel("Started and ended (per minute)", [
            q(f"sum by (type) (rate(sagas_started_total{{{J}}}[{RI}])) * 60", "started {{type}}"),
            q(f"sum by (outcome) (rate(sagas_finished_total{{{J}}}[{RI}])) * 60",
              "{{outcome}}")], width=12),
        panel("Duration", quantiles("saga_duration_seconds", "type", J), unit="s", width=12),
        row("Compensations"),
        panel("Compensations by reason (per minute)", [
            q(f"sum by (reason) (rate(saga_compensations_total{{{J}}}[{RI}])) * 60",
              "{{reason}}")], width=12, stack=True),
        panel("Compensations (range)", [
            q(f"sum by (reason) (increase(saga_compensations_total{{{J}}}[$__range]))",
              "{{reason}}")], kind="stat", width=12),
    ], description="Sagas by state, duration and compensations.")


def files():
    return {
        "fleet-overview.json": fleet_overview(),
        "agent.json": agent_dashboard(),
        "kafka.json": kafka_dashboard(),
        "sagas.json": sagas_dashboard(),
    }


def main(argv):
    check = "--check" in argv
    drifted = []
    for name, dashboard in files().items():
        text = json.dumps(dashboard, indent=2) + "\n"
        path = HERE / "dashboards" / name
        if check:
            if not path.exists() or path.read_text() != text:
                drifted.append(name)
        else:
            path.write_text(text)
    if drifted:
        print("deploy/grafana: dashboards differ from generate.py: " + ", ".join(drifted) +
              " (run deploy/grafana/generate.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
