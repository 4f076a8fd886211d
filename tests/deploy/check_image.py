"""The image, without a Docker engine: what deploy/docker/Dockerfile promises is checked against
the built executables (every library they link comes from a runtime package), and its two
scripts run for real: the entrypoint starts the real agents by name in the image's layout, and
the health probe answers by the HTTP status it gets."""
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

DOCKER = os.path.join(common.ROOT, "deploy", "docker")
BIN = os.environ.get("COMMERCE_BIN_DIR") or os.path.join(common.ROOT, "build", "release", "bin")
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1"}  # in debian:bookworm-slim already


def dockerfile():
    with open(os.path.join(DOCKER, "Dockerfile"), encoding="utf-8") as f:
        text = f.read()
    args = dict(re.findall(r'^ARG (\w+)="([^"]*)"', text, re.M))
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    return text, args, stages


def check_dockerfile(p, gen):
    text, args, stages = dockerfile()
    p.check(args.get("BUILD_PACKAGES", "").split() == gen.fleet_packages(),
            "the builder's packages are not the fleet script's PACKAGES")
    targets = args.get("TARGETS", "").split()
    p.check(targets == [f"{a['name']}-agent" for a in common.agents()] + ["fleetctl"],
            f"TARGETS {targets} are not every agent of deploy/agents.json and fleetctl")
    p.check(len(stages) == 2 and stages[0].startswith("debian:bookworm AS build")
            and stages[1].startswith("debian:bookworm-slim AS runtime"), "stages: builder, slim runtime")
    runtime = stages[-1] if stages else ""
    p.check("cmake --preset release" in (stages[0] if stages else ""), "the builder does not use the release preset")
    user = re.findall(r"^USER (\S+)", runtime, re.M)
    p.check(user and user[-1].split(":")[0].isdigit() and user[-1].split(":")[0] != "0",
            f"the runtime user {user} is not a numeric non-root user")
    p.check(re.search(r'^ENTRYPOINT \["commerce"\]', runtime, re.M), "ENTRYPOINT is not the commerce script")
    p.check(re.search(r"^WORKDIR /opt/commerce$", runtime, re.M), "WORKDIR is not /opt/commerce")
    for src, dst in (("migrations/", "/opt/commerce/migrations/"), ("schemas/", "/opt/commerce/schemas/"),
                     ("deploy/docker/entrypoint.sh", "/usr/local/bin/commerce"),
                     ("deploy/docker/probe.sh", "/usr/local/bin/commerce-probe")):
        p.check(re.search(rf"^COPY {re.escape(src)} {re.escape(dst)}$", runtime, re.M),
                f"the runtime stage does not copy {src} to {dst}")
    for script in ("entrypoint.sh", "probe.sh"):
        p.check(os.access(os.path.join(DOCKER, script), os.X_OK), f"{script} is not executable")
    # What the build context leaves out must not be something the build uses.
    with open(os.path.join(common.ROOT, ".dockerignore"), encoding="utf-8") as f:
        ignored = {l.strip().rstrip("/") for l in f if l.strip() and not l.startswith("#")}
    for used in ("CMakeLists.txt", "CMakePresets.json", "cmake", "libs", "agents", "tools", "tests",
                 "migrations", "schemas", "deploy/docker"):
        p.check(used not in ignored, f".dockerignore leaves out {used}")
    for heavy in ("build", ".fleet", ".git"):
        p.check(heavy in ignored, f".dockerignore sends {heavy} to the build")
    return args.get("RUNTIME_PACKAGES", "").split(), targets


def packages_of(sonames):
    """soname -> the Debian package that owns the library the loader would use (None: no owner)."""
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    candidates = {}
    for soname in sonames:
        m = re.search(rf"^\s+{re.escape(soname)} \(libc6,x86-64[^)]*\) => (\S+)$", cache, re.M)
        if m:
            path = os.path.realpath(m.group(1))
            # Merged /usr: the package may list either spelling.
            candidates[soname] = [path, "/usr" + path, path.removeprefix("/usr")]
    owners = {}
    paths = sorted({c for cs in candidates.values() for c in cs})
    out = subprocess.run(["dpkg", "-S"] + paths, capture_output=True, text=True).stdout if paths else ""
    for line in out.splitlines():
        pkgs, _, path = line.partition(": ")
        owners[path] = pkgs.split(",")[0].split(":")[0].strip()
    return {s: next((owners[c] for c in candidates.get(s, []) if c in owners), None) for s in sonames}


def check_runtime_libraries(p, runtime_packages, targets):
    sonames = set()
    for t in targets:
        exe = os.path.join(BIN, t)
        if not p.check(os.path.exists(exe), f"{exe} is not built"):
            continue
        dyn = subprocess.run(["readelf", "-d", exe], capture_output=True, text=True, check=True).stdout
        sonames.update(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn))
    seen = packages_of(sorted(sonames))
    for soname, pkg in sorted(seen.items()):
        p.check(pkg is not None, f"{soname}: no Debian package owns it")
        if pkg:
            p.check(pkg in runtime_packages or pkg in BASE_IMAGE_PACKAGES,
                    f"{soname} comes from {pkg}, which the runtime stage does not install")
    return seen


def image_layout(tmp, targets):
    """/opt/commerce as the Dockerfile lays it out, with links to the built files."""
    home = os.path.join(tmp, "opt-commerce")
    os.makedirs(os.path.join(home, "bin"))
    for t in targets:
        os.symlink(os.path.join(BIN, t), os.path.join(home, "bin", t))
    os.symlink(os.path.join(common.ROOT, "migrations"), os.path.join(home, "migrations"))
    os.symlink(os.path.join(common.ROOT, "schemas"), os.path.join(home, "schemas"))
    return home


def entrypoint(home, *args, env=None):
    e = {"PATH": "/usr/bin:/bin", "COMMERCE_HOME": home}
    e.update(env or {})
    return subprocess.run(["sh", os.path.join(DOCKER, "entrypoint.sh")] + list(args), env=e,
                          cwd="/", capture_output=True, text=True, timeout=30)


def check_entrypoint(p, targets):
    with tempfile.TemporaryDirectory() as tmp:
        home = image_layout(tmp, targets)
        r = entrypoint(home)
        p.check(r.returncode == 2, f"no arguments: rc {r.returncode}")
        for a in common.agents():
            p.check(a["name"] in r.stderr, f"usage does not list {a['name']}: {r.stderr}")
        r = entrypoint(home, "no-such-agent")
        p.check(r.returncode == 2 and "no agent 'no-such-agent'" in r.stderr, f"unknown agent: {r.stderr}")
        r = entrypoint(home, "../bin/fleetctl")
        p.check(r.returncode == 2 and "not an agent name" in r.stderr, f"a path as name: {r.stderr}")
        # The real executable: without settings it names the first one missing.
        r = entrypoint(home, "order")
        p.check(r.returncode == 2 and "order: config: DATABASE_URL is required" in r.stderr,
                f"order without settings: rc {r.returncode} {r.stderr}")
        # With settings, it finds migrations/ and schemas/ by the runtime's defaults and only then
        # fails on the unreachable database (port 1 on loopback: nothing listens).
        unreachable = {"DATABASE_URL": "postgresql://order@127.0.0.1:1/commerce?connect_timeout=2",
                       "KAFKA_BROKERS": "127.0.0.1:1", "ADMIN_PORT": "0", "API_PORT": "0"}
        for a in common.agents():
            extra = {"OPERATOR_TOKEN": "x" * 16}
            extra.update({f"AGENT_URL_{s.upper().replace('-', '_')}": "http://127.0.0.1:1"
                          for s in (b["name"] for b in common.agents())})
            r = entrypoint(home, a["name"], env=dict(unreachable, **extra))
            p.check(r.returncode == 2 and
                    f'{a["name"]}: connection to server at "127.0.0.1", port 1 failed' in r.stderr,
                    f"{a['name']} in the image layout: rc {r.returncode} {r.stderr.strip()}")
        os.unlink(os.path.join(home, "migrations"))
        r = entrypoint(home, "order", env=unreachable)
        p.check(r.returncode == 2 and "migrations directory not found: migrations/order" in r.stderr,
                f"without migrations/ the agent must say so: {r.stderr.strip()}")
        r = entrypoint(home, "fleetctl")
        p.check("usage: fleetctl" in r.stderr, f"fleetctl is not reachable: {r.stderr}")


class Admin(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        code = {"/healthz": 200, "/readyz": 503}.get(self.path, 404)
        body = b'{"status":"x"}'
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def check_probe(p):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Admin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    probe = os.path.join(DOCKER, "probe.sh")

    def run(path, admin_port):
        env = {"PATH": "/usr/bin:/bin"}
        if admin_port is not None:
            env["ADMIN_PORT"] = str(admin_port)
        return subprocess.run(["bash", probe, path], env=env, capture_output=True, text=True, timeout=20)

    try:
        p.check(run("/healthz", port).returncode == 0, "probe: 200 must pass")
        r = run("/readyz", port)
        p.check(r.returncode == 1 and "503" in r.stderr, f"probe: 503 must fail ({r.returncode} {r.stderr})")
        p.check(run("/nothing", port).returncode == 1, "probe: 404 must fail")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]  # bound, not listening: connections are refused
            p.check(run("/healthz", closed).returncode != 0, "probe: a closed port must fail")
        p.check(run("/healthz", None).returncode != 0, "probe: no ADMIN_PORT must fail")
    finally:
        server.shutdown()


def main():
    p = common.Problems()
    gen = common.generator()
    runtime_packages, targets = check_dockerfile(p, gen)
    libs = check_runtime_libraries(p, runtime_packages, targets)
    if all(os.path.exists(os.path.join(BIN, t)) for t in targets):
        check_entrypoint(p, targets)
    check_probe(p)
    p.finish(f"image: {len(targets)} executables, {len(libs)} linked libraries all from "
             f"{sorted(set(runtime_packages))}; entrypoint and probe behave")


if __name__ == "__main__":
    main()
