#!/usr/bin/env python3
"""The real Prometheus server scraping a running local fleet while the demo scenario runs; then
every Grafana panel's query is evaluated through Prometheus's HTTP API. Fails if Prometheus does
not scrape every agent, if the demo fails, or if any query is invalid or returns no series.

The fleet runs on free ports (`fleetctl demo --ports free`); the test learns each agent's admin
port from the READY_FILEs in <data>/logs and hands them to Prometheus through file-based
discovery. The demo holds the fleet after its scenario (`--hold-file`) until Prometheus has
scraped every agent twice more; the queries are evaluated then, and the hold file lets the demo
stop its fleet. Everything listens on 127.0.0.1 and is stopped here.

usage: prometheus_fleet_test.py <source dir> <build dir>
"""
import glob
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ORDERS = 120
DEADLINE_S = 240
AGENT_FOR_TEMPLATES = "order"  # takes HTTP, consumes, relays: every agent panel has data


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    def __init__(self, base):
        self.base = base

    def get(self, path, **params):
        url = f"{self.base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:  # 400/422: a bad query, with Prometheus's reason
            return json.loads(e.read())

    def ready(self):
        try:
            with urllib.request.urlopen(f"{self.base}/-/ready", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False


def write_targets(path, ready_dir):
    """file_sd targets from the READY_FILEs: [{"targets": ["127.0.0.1:<admin>"], "labels": …}]"""
    groups = []
    for ready in sorted(glob.glob(os.path.join(ready_dir, "*.ready"))):
        try:
            info = json.loads(pathlib.Path(ready).read_text())
        except (OSError, json.JSONDecodeError):
            continue  # being replaced; next round
        groups.append({"targets": [f"127.0.0.1:{info['admin_port']}"],
                       "labels": {"agent": info["agent"]}})
    text = json.dumps(groups, sort_keys=True)
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return len(groups)


def panel_queries(source):
    for path in sorted((source / "deploy/grafana/dashboards").glob("*.json")):
        d = json.loads(path.read_text())
        for p in d["panels"]:
            for t in p.get("targets", []):
                yield path.name, p["id"], p["title"], t["expr"]


def substitute(expr, range_s):
    return (expr.replace("$__rate_interval", "1m")
            .replace("$__interval", "15s")
            .replace("$__range", f"{range_s}s")
            .replace("$agent", AGENT_FOR_TEMPLATES))


def stop(proc, sig=signal.SIGTERM, timeout=30):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)  # its own session: the process and what it started
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main():
    source = pathlib.Path(sys.argv[1]).resolve()
    build = pathlib.Path(sys.argv[2]).resolve()
    agents = [a["name"] for a in json.loads((source / "deploy/agents.json").read_text())["agents"]]
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="prometheus_fleet_"))
    tmp.chmod(0o755)  # as root, the embedded PostgreSQL runs as postgres and must reach its data
    data = tmp / "fleet"
    targets = tmp / "targets.json"
    hold = tmp / "release-the-fleet"
    targets.write_text("[]")
    port = free_port()
    (tmp / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {source}/deploy/prometheus/rules/*.yml
scrape_configs:
  - job_name: commerce
    file_sd_configs:
      - files: ['{targets}']
        refresh_interval: 1s
""")
    prom_log = open(tmp / "prometheus.log", "w")
    demo_out = open(tmp / "demo.out", "w")
    demo_err = open(tmp / "demo.err", "w")
    prometheus = demo = None
    problems = []
    try:
        prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={tmp / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}",
             "--log.level=warn"],
            stdout=prom_log, stderr=subprocess.STDOUT, start_new_session=True)
        prom = Prometheus(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while not prom.ready():
            if prometheus.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Prometheus did not start; see " + str(tmp / "prometheus.log"))
            time.sleep(0.2)

        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "KAFKA_BROKERS", "PG_PORT")}
        demo = subprocess.Popen(
            [str(build / "bin/fleetctl"), "demo", "--data", str(data), "--ports", "free",
             "--orders", str(ORDERS), "--hold-file", str(hold)],
            stdout=demo_out, stderr=demo_err, env=env, start_new_session=True)

        # While the demo runs: keep the targets current; once its scenario is over (it says it
        # holds the fleet), wait until every agent has been scraped twice more.
        first_all_up = held_at = last_all_up = None
        deadline = time.monotonic() + DEADLINE_S
        while last_all_up is None:
            if demo.poll() is not None:
                raise RuntimeError(f"fleetctl demo exited ({demo.returncode}) before holding")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no finished demo seen by Prometheus within {DEADLINE_S} s")
            write_targets(targets, data / "logs")
            r = prom.get("/api/v1/query", query='count(up{job="commerce"} == 1)')
            result = r.get("data", {}).get("result", [])
            all_up = bool(result) and int(float(result[0]["value"][1])) == len(agents)
            if all_up and first_all_up is None:
                first_all_up = float(result[0]["value"][0])
            if held_at is None and "holding the fleet" in (tmp / "demo.err").read_text():
                held_at = time.time()
            if all_up and held_at is not None:
                r = prom.get("/api/v1/query", query='min(timestamp(up{job="commerce"}))')
                oldest_scrape = float(r["data"]["result"][0]["value"][1])
                if oldest_scrape > held_at + 2:
                    last_all_up = float(r["data"]["result"][0]["value"][0])
                    break
            time.sleep(0.5)
        print(f"every agent up in Prometheus for {last_all_up - first_all_up:.1f} s; "
              f"evaluating at {last_all_up}")

        # The agents Prometheus saw are exactly the fleet's.
        r = prom.get("/api/v1/query", query='up{job="commerce"} == 1', time=last_all_up)
        seen = sorted(s["metric"]["agent"] for s in r["data"]["result"])
        if seen != sorted(agents):
            problems.append(f"scraped agents {seen}, expected {sorted(agents)}")

        # The Grafana variable: label_values(up{job="commerce"}, agent).
        r = prom.get("/api/v1/label/agent/values", **{"match[]": 'up{job="commerce"}'},
                     start=first_all_up, end=last_all_up)
        if AGENT_FOR_TEMPLATES not in r.get("data", []):
            problems.append(f"the $agent variable would not offer {AGENT_FOR_TEMPLATES}: {r}")

        range_s = max(60, int(last_all_up - first_all_up) + 1)
        count = 0
        for dashboard, pid, title, expr in panel_queries(source):
            count += 1
            query = substitute(expr, range_s)
            r = prom.get("/api/v1/query", query=query, time=last_all_up)
            where = f"{dashboard} panel {pid} ({title}): {query}"
            if r.get("status") != "success":
                problems.append(f"{where}: {r.get('errorType')}: {r.get('error')}")
            elif not r["data"]["result"]:
                problems.append(f"{where}: no series")
        print(f"evaluated {count} panel queries")

        # The alert rules loaded and evaluate without error against real data.
        r = prom.get("/api/v1/rules")
        rules = [rule for g in r["data"]["groups"] for rule in g["rules"]]
        if len(rules) < 8:
            problems.append(f"expected the 8 alert rules loaded, found {len(rules)}")
        for rule in rules:
            if rule.get("health") != "ok":
                problems.append(f"rule {rule['name']}: {rule.get('health')} {rule.get('lastError')}")

        # Let the demo stop its fleet; its own verdict: every order ended, nothing twice.
        hold.touch()
        if demo.wait(timeout=120) != 0:
            problems.append(f"fleetctl demo exited {demo.returncode}")
        lines = [l for l in (tmp / "demo.out").read_text().splitlines() if l.strip()]
        verdict = json.loads(lines[-1]) if lines else {}
        if verdict.get("placed") != ORDERS or verdict.get("stuck") != 0:
            problems.append(f"demo verdict: {verdict}")
        # The business counters agree with the demo's tables at the evaluation moment.
        r = prom.get("/api/v1/query", query='sum(orders_placed_total{job="commerce"})',
                     time=last_all_up)
        placed = r["data"]["result"][0]["value"][1] if r["data"]["result"] else None
        if placed is None or int(float(placed)) != ORDERS:
            problems.append(f"orders_placed_total is {placed}, the demo placed {ORDERS}")
        # Counted in the handlers' transactions: a retried batch may count twice, never less.
        for metric, key in (("orders_confirmed_total", "confirmed"),
                            ("orders_cancelled_total", "cancelled")):
            r = prom.get("/api/v1/query", query=f'sum({metric}{{job="commerce"}})',
                         time=last_all_up)
            value = int(float(r["data"]["result"][0]["value"][1])) if r["data"]["result"] else -1
            if value < verdict.get(key, 0) or (key == "confirmed" and value == 0):
                problems.append(f"{metric} is {value}, the demo's tables say {verdict.get(key)}")
    except Exception as e:  # reported with the logs' whereabouts
        problems.append(f"{type(e).__name__}: {e}")
    finally:
        hold.touch()
        try:
            if demo is not None:
                demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        stop(demo, signal.SIGINT, timeout=60)
        stop(prometheus)
        for f in (prom_log, demo_out, demo_err):
            f.close()
    if problems:
        for p in problems:
            print("FAIL: " + p, file=sys.stderr)
        print(f"logs: {tmp} (demo.err, prometheus.log, fleet/logs)", file=sys.stderr)
        for line in (tmp / "demo.err").read_text().splitlines()[-20:]:
            print("  demo: " + line, file=sys.stderr)
        return 1
    subprocess.run(["rm", "-rf", str(tmp)])
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
