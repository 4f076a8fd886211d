#!/usr/bin/env python3
"""Checks deploy/grafana: every dashboard is well-formed Grafana JSON, panel ids are unique,
every query target has an expression, datasources match the provisioned uid, every template
variable an expression uses is defined, and every metric it names is in docs/metrics.md.

usage: check_dashboards.py <source dir>
"""
import json
import pathlib
import re
import sys

BUILTIN_VARIABLES = {"__rate_interval", "__range", "__interval", "__range_s", "__interval_ms"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                "and", "or", "unless"}


def catalogue_metrics(source):
    text = (source / "docs" / "metrics.md").read_text()
    return set(re.findall(r"^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \|", text, re.M))


def metric_names(expr):
    """Metric names in an expression: identifiers followed by a selector or a range."""
    names = set()
    for name in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{", expr):
        if name in PROMQL_WORDS:
            continue
        names.add(re.sub(r"_(bucket|sum|count)$", "", name))
    return names


def check(source):
    problems = []
    provisioned = (source / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    uids = set(re.findall(r"^\s*uid:\s*(\S+)", provisioned, re.M))
    if not uids:
        problems.append("no datasource uid in provisioning/datasources/prometheus.yml")
    known = catalogue_metrics(source)
    if not known:
        problems.append("docs/metrics.md: no catalogue rows found")
    dashboards = sorted((source / "deploy/grafana/dashboards").glob("*.json"))
    if len(dashboards) < 4:
        problems.append(f"expected at least 4 dashboards, found {len(dashboards)}")
    seen_uids = {}
    for path in dashboards:
        where = path.name
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not JSON: {e}")
            continue
        for key in ("uid", "title", "schemaVersion", "panels", "time"):
            if key not in d:
                problems.append(f"{where}: no {key}")
        if not isinstance(d.get("schemaVersion"), int):
            problems.append(f"{where}: schemaVersion is not an integer")
        if d.get("uid") in seen_uids:
            problems.append(f"{where}: uid {d.get('uid')} also in {seen_uids[d.get('uid')]}")
        seen_uids[d.get("uid")] = where
        variables = {v.get("name") for v in d.get("templating", {}).get("list", [])}
        for v in d.get("templating", {}).get("list", []):
            if v.get("datasource", {}).get("uid") not in uids:
                problems.append(f"{where}: variable {v.get('name')}: unknown datasource")
        ids = set()
        queries = 0
        for p in d.get("panels", []):
            pid = p.get("id")
            if not isinstance(pid, int):
                problems.append(f"{where}: panel {p.get('title')!r} has no integer id")
            elif pid in ids:
                problems.append(f"{where}: panel id {pid} used twice")
            ids.add(pid)
            grid = p.get("gridPos", {})
            if not all(k in grid for k in "hwxy") or grid["x"] + grid["w"] > 24:
                problems.append(f"{where}: panel {pid}: bad gridPos {grid}")
            if p.get("type") == "row":
                continue
            if p.get("datasource", {}).get("uid") not in uids:
                problems.append(f"{where}: panel {pid}: datasource is not the provisioned one")
            targets = p.get("targets") or []
            if not targets:
                problems.append(f"{where}: panel {pid} ({p.get('title')}): no targets")
            refs = set()
            for t in targets:
                expr = (t.get("expr") or "").strip()
                if not expr:
                    problems.append(f"{where}: panel {pid}: a target without expr")
                    continue
                queries += 1
                if t.get("refId") in refs:
                    problems.append(f"{where}: panel {pid}: refId {t.get('refId')} twice")
                refs.add(t.get("refId"))
                if t.get("datasource", {}).get("uid") not in uids:
                    problems.append(f"{where}: panel {pid}: target datasource is not provisioned")
                for var in re.findall(r"\$(\w+)", expr):
                    if var not in BUILTIN_VARIABLES and var not in variables:
                        problems.append(f"{where}: panel {pid}: ${var} is not a variable")
                for name in metric_names(expr):
                    if name not in known:
                        problems.append(f"{where}: panel {pid}: {name} is not in docs/metrics.md")
        if queries == 0:
            problems.append(f"{where}: no queries")
    return problems


def main():
    source = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = check(source)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print("dashboards ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
