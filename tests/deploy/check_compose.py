"""docker-compose.yml as Compose itself renders it (Debian's docker-compose, offline), checked
against deploy/agents.json and the issue's requirements."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

common.use_venv()
import yaml  # noqa: E402

COMPOSE = "docker-compose"
TOKEN = "compose-check-operator-token"


def compose(env_extra, *args, check=True):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    env.update(env_extra)
    return common.run([COMPOSE, "--project-directory", common.ROOT, "-f",
                       os.path.join(common.ROOT, "docker-compose.yml")] + list(args),
                      env=env, check=check)


def volumes(svc):
    """Mounts as (type, source, target), from Compose v1's short form or v2's long form."""
    out = []
    for v in svc.get("volumes", []):
        if isinstance(v, dict):
            out.append((v.get("type"), v.get("source"), v.get("target")))
        else:
            parts = v.split(":")
            kind = "bind" if parts[0].startswith(("/", ".")) else "volume"
            out.append((kind, parts[0], parts[1] if len(parts) > 1 else parts[0]))
    return out


def host_ips(svc):
    """The host address each published port binds ('' for every interface)."""
    out = []
    for port in svc.get("ports", []):
        if isinstance(port, dict):
            out.append(port.get("host_ip") or "")
        else:
            parts = str(port).split(":")
            out.append(parts[0] if len(parts) == 3 else "")
    return out


def main():
    import shutil
    if not shutil.which(COMPOSE, path=os.environ.get("PATH")):
        sys.exit(f"{COMPOSE} is missing: run ./fleet install (Debian's docker-compose)")
    p = common.Problems()
    gen = common.generator()
    agents = gen.load_agents()
    by_name = {a["name"]: a for a in agents}

    compose({"OPERATOR_TOKEN": TOKEN}, "config", "-q")
    # The operator token guards the published gateway: no default, Compose refuses to render.
    r = compose({}, "config", "-q", check=False)
    p.check(r.returncode != 0 and "OPERATOR_TOKEN" in r.stderr,
            f"config without OPERATOR_TOKEN must fail naming it (rc={r.returncode}: {r.stderr.strip()})")

    cfg = yaml.safe_load(compose({"OPERATOR_TOKEN": TOKEN}, "config").stdout)
    services = cfg["services"]
    infra = ["kafka", "postgres", "db-provision", "topics", "prometheus", "grafana"]
    for name in infra + [a["name"] for a in agents]:
        p.check(name in services, f"service {name} missing")
    if p.items:
        p.finish("")
    one_shots = {"db-provision", "topics"}

    named_volumes = set(cfg.get("volumes", {}))
    for name, svc in services.items():
        limits = svc.get("deploy", {}).get("resources", {}).get("limits", {})
        p.check("cpus" in limits and "memory" in limits, f"{name}: no cpu and memory limits")
        restart = svc.get("restart")
        if name in one_shots:
            p.check(restart == "no", f"{name}: a one-shot job must not restart (restart={restart})")
        else:
            p.check(restart in ("unless-stopped", "always", "on-failure"),
                    f"{name}: restart policy {restart}")
            p.check("healthcheck" in svc and svc["healthcheck"].get("test"), f"{name}: no health check")
        for dep, cond in svc.get("depends_on", {}).items():
            p.check(dep in services, f"{name} depends on unknown {dep}")
            condition = cond.get("condition") if isinstance(cond, dict) else None
            p.check(condition in ("service_healthy", "service_completed_successfully",
                                  "service_started"), f"{name} -> {dep}: condition {condition}")
            if condition == "service_healthy":
                p.check("healthcheck" in services.get(dep, {}), f"{name} waits for {dep} to be healthy, "
                        "but it has no health check")
            if condition == "service_completed_successfully":
                p.check(dep in one_shots, f"{name} waits for {dep} to complete, but it is not a job")
        for kind, source, _ in volumes(svc):
            if kind == "volume":
                p.check(source in named_volumes, f"{name}: volume {source} is not declared")
        for ip in host_ips(svc):
            p.check(name == gen.GATEWAY or ip not in ("", "0.0.0.0"),
                    f"{name} publishes a port to every interface: only the gateway may")
    for data in ("kafka", "postgres", "prometheus", "grafana"):
        p.check(any(kind == "volume" for kind, _, _ in volumes(services[data])),
                f"{data}: its data is not on a named volume")

    kafka_env = services["kafka"]["environment"]
    p.check(kafka_env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "false", "kafka: topic auto-creation is on")
    p.check("controller" in kafka_env.get("KAFKA_PROCESS_ROLES", ""), "kafka: not KRaft (no controller role)")
    p.check(services["kafka"]["image"].startswith("apache/kafka:"), "kafka: not the apache/kafka image")

    image = services[gen.GATEWAY]["image"]
    topics = services["topics"]
    p.check(topics["image"] == image, "topics: not the project's image")
    cmd = topics.get("command", [])
    p.check(cmd[:2] == ["fleetctl", "topics"] and "--file" in cmd, f"topics: command {cmd}")
    topics_file = cmd[cmd.index("--file") + 1] if "--file" in cmd else None
    p.check((("bind", os.path.join(common.ROOT, "deploy", "topics.json"), topics_file)
             in volumes(topics)), "topics: deploy/topics.json is not mounted at --file")

    prov = services["db-provision"]
    p.check(any(kind == "bind" and source == os.path.join(common.ROOT, "deploy", "postgres", "provision.sql")
                for kind, source, _ in volumes(prov)),
        "db-provision: deploy/postgres/provision.sql is not mounted")
    for a in agents:
        p.check(f"DB_PASSWORD_{a['env_suffix']}" in prov.get("environment", {}),
                f"db-provision: no password for {a['name']}")

    for a in agents:
        name = a["name"]
        svc = services[name]
        env = svc.get("environment", {})
        p.check(svc["image"] == image, f"{name}: image {svc['image']}, not the one image {image}")
        p.check(svc.get("build", {}).get("dockerfile") == "deploy/docker/Dockerfile",
                f"{name}: not built from deploy/docker/Dockerfile")
        p.check(svc.get("command") == [name], f"{name}: command {svc.get('command')}")
        p.check(env.get("API_PORT") == str(a["api_port"]) and env.get("ADMIN_PORT") == str(a["admin_port"]),
                f"{name}: ports differ from deploy/agents.json")
        url = env.get("DATABASE_URL", "")
        p.check(url.startswith(f"postgresql://{a['role']}:") and "@postgres:5432/" in url,
                f"{name}: DATABASE_URL {url} is not its own role on postgres")
        p.check(env.get("KAFKA_BROKERS") == "kafka:9092", f"{name}: KAFKA_BROKERS {env.get('KAFKA_BROKERS')}")
        if a["operator_token"]:
            p.check(env.get("OPERATOR_TOKEN") == TOKEN, f"{name}: OPERATOR_TOKEN not passed through")
        deps = svc.get("depends_on", {})
        for dep, cond in (("postgres", "service_healthy"), ("kafka", "service_healthy"),
                          ("db-provision", "service_completed_successfully"),
                          ("topics", "service_completed_successfully")):
            p.check(deps.get(dep, {}).get("condition") == cond, f"{name}: does not wait for {dep} ({cond})")
        for c in a["calls"]:
            want = f"http://{c}:{by_name[c]['api_port']}"
            key = f"AGENT_URL_{by_name[c]['env_suffix']}"
            p.check(env.get(key) == want, f"{name}: {key}={env.get(key)}, want {want}")
        test = svc.get("healthcheck", {}).get("test", [])
        p.check("/readyz" in " ".join(test), f"{name}: health check does not ask /readyz")
        p.check(svc.get("read_only") is True, f"{name}: root filesystem is writable")
        p.check(bool(svc.get("ports")) == (name == gen.GATEWAY), f"{name}: ports {svc.get('ports')}")

    prom = {source for kind, source, _ in volumes(services["prometheus"]) if kind == "bind"}
    p.check(os.path.join(common.ROOT, "deploy", "prometheus") in prom,
            "prometheus: deploy/prometheus is not mounted")
    graf = {source for kind, source, _ in volumes(services["grafana"]) if kind == "bind"}
    for d in ("provisioning", "dashboards"):
        p.check(os.path.join(common.ROOT, "deploy", "grafana", d) in graf, f"grafana: deploy/grafana/{d} not mounted")

    p.finish(f"compose: {len(services)} services render and meet the checks "
             f"({len(agents)} agents from deploy/agents.json)")


if __name__ == "__main__":
    main()
