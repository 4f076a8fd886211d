"""What the deploy checks share: paths, the venv, and a way to fail with every problem at once."""
import json
import os
import subprocess
import sys

ROOT = os.environ.get("COMMERCE_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".fleet", "deploy-venv")


def use_venv():
    """Re-runs the calling script with .fleet/deploy-venv's python (PyYAML, kubernetes-validate)."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        sys.exit(f"{python} is missing: run ./fleet install (it installs the deployment tools)")
    os.execv(python, [python] + sys.argv)


def agents():
    with open(os.path.join(ROOT, "deploy", "agents.json"), encoding="utf-8") as f:
        return json.load(f)["agents"]


def generator():
    """deploy/generate.py as a module: the same derivations (roles, upstreams) the files came from."""
    sys.path.insert(0, os.path.join(ROOT, "deploy"))
    import generate  # noqa: E402
    return generate


def run(cmd, env=None, check=True):
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    if check and r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


class Problems:
    def __init__(self):
        self.items = []

    def check(self, ok, what):
        if not ok:
            self.items.append(what)
        return ok

    def finish(self, passed_note):
        if self.items:
            for p in self.items:
                print("FAIL:", p)
            print(f"{len(self.items)} problem(s)")
            sys.exit(1)
        print(passed_note)
