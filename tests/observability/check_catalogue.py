#!/usr/bin/env python3
"""docs/metrics.md against the code and the alert rules: every metric the code registers is in
the catalogue (and the other way round), every counter ends in _total, and every metric an
alert rule uses is catalogued.

usage: check_catalogue.py <source dir>
"""
import pathlib
import re
import sys

REGISTRATION = re.compile(r"\b(counter|gauge|histogram)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"", re.S)


def main():
    source = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = []
    in_code = {}
    for folder in ("libs", "agents"):
        for path in (source / folder).rglob("*.cpp"):
            if "/tests/" in str(path):
                continue
            for kind, name in REGISTRATION.findall(path.read_text()):
                in_code[name] = kind
    rows = re.findall(r"^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| (\w+) \|",
                      (source / "docs/metrics.md").read_text(), re.M)
    catalogue = dict(rows)
    for name, kind in sorted(in_code.items()):
        if name not in catalogue:
            problems.append(f"{name} ({kind}) is registered in code but not in docs/metrics.md")
        elif catalogue[name] != kind:
            problems.append(f"{name}: docs/metrics.md says {catalogue[name]}, the code {kind}")
        if kind == "counter" and not name.endswith("_total"):
            problems.append(f"{name}: a counter's name must end in _total")
    for name in sorted(set(catalogue) - set(in_code) - {"up"}):
        problems.append(f"{name} is in docs/metrics.md but no code registers it")
    for rules in (source / "deploy/prometheus/rules").glob("*.yml"):
        for expr_name in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", rules.read_text()):
            base = re.sub(r"_(bucket|sum|count)$", "", expr_name)
            if base not in catalogue:
                problems.append(f"{rules.name}: {base} is not in docs/metrics.md")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"catalogue ok: {len(catalogue)} metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
