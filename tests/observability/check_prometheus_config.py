#!/usr/bin/env python3
"""promtool check config for every scrape configuration in deploy/prometheus.

Debian's Prometheus is built without Kubernetes discovery, so when promtool rejects
kubernetes_sd_configs the test checks kubernetes.yml with the discovery block swapped for a
static target: everything else (relabelling regexes, rule files) is still checked.

usage: check_prometheus_config.py <source dir>
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

K8S_SD = "    kubernetes_sd_configs:\n      - role: pod\n"
STATIC = "    static_configs:\n      - targets: ['pod.example:9100']\n"


def promtool_check(path):
    r = subprocess.run(["promtool", "check", "config", str(path)], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def main():
    source = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    here = source / "deploy/prometheus"
    failed = False
    for name in ("prometheus.yml", "compose.yml", "kubernetes.yml"):
        code, out = promtool_check(here / name)
        if code != 0 and name == "kubernetes.yml" and "kubernetes_sd_configs not found" in out:
            text = (here / name).read_text()
            if K8S_SD not in text:
                print(f"{name}: expected discovery block not found", file=sys.stderr)
                failed = True
                continue
            with tempfile.TemporaryDirectory() as tmp:
                shutil.copytree(here / "rules", pathlib.Path(tmp) / "rules")
                swapped = pathlib.Path(tmp) / name
                swapped.write_text(text.replace(K8S_SD, STATIC))
                code, out = promtool_check(swapped)
                out = "(kubernetes discovery swapped for a static target)\n" + out
        print(f"== {name}\n{out}")
        failed |= code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
