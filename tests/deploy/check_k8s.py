"""Each overlay of deploy/k8s, built with kustomize, validated offline against the Kubernetes
schemas kubernetes-validate ships (strict: unknown fields fail), then checked for what the
schemas cannot say: probes, security, network isolation, references that resolve.

The one custom resource, the prometheus-operator ServiceMonitor, has no schema there: it is named
in CRDS below, skipped by the schema validation on purpose (any other unknown kind fails), and
checked structurally against the Services it must select."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

common.use_venv()
import kubernetes_validate  # noqa: E402
import yaml  # noqa: E402

KUBERNETES_VERSION = "1.33.0"  # pinned: the cluster version the manifests target
CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
SECRETS = {"commerce-database", "commerce-operator", "commerce-gateway-tls"}
NAMESPACED_EXCEPTIONS = {"Namespace"}


def build(overlay):
    kustomize = os.environ.get("COMMERCE_KUSTOMIZE") or os.path.join(common.ROOT, ".fleet/bin/kustomize")
    if not os.path.exists(kustomize):
        sys.exit(f"{kustomize} is missing: run ./fleet install")
    out = common.run([kustomize, "build", os.path.join(common.ROOT, "deploy/k8s/overlays", overlay)])
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def matches(selector, labels):
    """A Kubernetes label selector (matchLabels, matchExpressions) against a label set."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        has, val = e["key"] in labels, labels.get(e["key"])
        op = e["operator"]
        if op == "In" and val not in e["values"] or op == "NotIn" and val in e["values"] \
                or op == "Exists" and not has or op == "DoesNotExist" and has:
            return False
    return True


def check_overlay(overlay, p, gen):
    docs = build(overlay)
    agents = gen.load_agents()
    by_name = {a["name"]: a for a in agents}
    where = f"[{overlay}]"

    # 1. Schemas, strictly; custom resources only from the explicit list.
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"))
        name = f"{d.get('kind')}/{d.get('metadata', {}).get('name')}"
        if key in CRDS:
            continue
        try:
            kubernetes_validate.validate(d, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            p.check(False, f"{where} {name}: no Kubernetes {KUBERNETES_VERSION} schema for {key}")
        except kubernetes_validate.ValidationError as e:
            p.check(False, f"{where} {name}: {e.message} at {'/'.join(map(str, e.path))}")

    of = lambda kind: {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}  # noqa: E731
    deployments, services, configmaps = of("Deployment"), of("Service"), of("ConfigMap")
    hpas, pdbs, policies = of("HorizontalPodAutoscaler"), of("PodDisruptionBudget"), of("NetworkPolicy")
    namespaces = set(of("Namespace"))

    p.check(not of("Secret"), f"{where} Secrets are committed: {sorted(of('Secret'))}")
    for d in docs:
        if d["kind"] not in NAMESPACED_EXCEPTIONS:
            p.check(d["metadata"].get("namespace") in namespaces,
                    f"{where} {d['kind']}/{d['metadata']['name']} is not in the overlay's namespace")

    # 2. Every agent: a Deployment as the runtime expects it, a Service, a disruption budget.
    pod_labels = {}
    for a in agents:
        name = a["name"]
        dep = deployments.get(name)
        if not p.check(dep is not None, f"{where} no Deployment for {name}"):
            continue
        p.check(name in services, f"{where} no Service for {name}")
        tmpl = dep["spec"]["template"]
        pod_labels[name] = tmpl["metadata"]["labels"]
        p.check(matches(dep["spec"]["selector"], pod_labels[name]), f"{where} {name}: selector misses its pods")
        spec = tmpl["spec"]
        c = spec["containers"][0]
        psec, csec = spec.get("securityContext", {}), c.get("securityContext", {})
        p.check(psec.get("runAsNonRoot") is True and psec.get("runAsUser", 0) != 0,
                f"{where} {name}: pod may run as root")
        p.check(csec.get("readOnlyRootFilesystem") is True, f"{where} {name}: root filesystem writable")
        p.check(csec.get("allowPrivilegeEscalation") is False, f"{where} {name}: privilege escalation")
        p.check("ALL" in csec.get("capabilities", {}).get("drop", []), f"{name}: capabilities kept")
        p.check(c.get("args") == [name], f"{where} {name}: args {c.get('args')}")
        p.check(c["image"].split("/")[-1].startswith(gen.IMAGE + ":"), f"{where} {name}: image {c['image']}")
        res = c.get("resources", {})
        p.check({"cpu", "memory"} <= set(res.get("requests", {})) and
                {"cpu", "memory"} <= set(res.get("limits", {})), f"{where} {name}: resources incomplete")
        ports = {cp["name"]: cp["containerPort"] for cp in c.get("ports", [])}
        p.check(ports == {"api": a["api_port"], "admin": a["admin_port"]},
                f"{where} {name}: container ports {ports} differ from deploy/agents.json")
        env = {e["name"]: e for e in c.get("env", [])}
        p.check(env.get("API_PORT", {}).get("value") == str(a["api_port"]) and
                env.get("ADMIN_PORT", {}).get("value") == str(a["admin_port"]), f"{where} {name}: port settings")
        for setting in ("DATABASE_URL", "KAFKA_BROKERS"):
            p.check(setting in env, f"{where} {name}: {setting} not set")
        p.check(env.get("DATABASE_URL", {}).get("value", "").startswith(f"postgresql://{a['role']}:"),
                f"{where} {name}: DATABASE_URL is not its own role")
        if a["operator_token"]:
            p.check("OPERATOR_TOKEN" in env, f"{where} {name}: no OPERATOR_TOKEN")
        for callee in a["calls"]:
            key = f"AGENT_URL_{by_name[callee]['env_suffix']}"
            want = f"http://{callee}:{by_name[callee]['api_port']}"
            p.check(env.get(key, {}).get("value") == want, f"{where} {name}: {key} is not {want}")
            p.check(callee in services, f"{where} {name} calls {callee}, which has no Service")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = c.get(probe, {}).get("httpGet", {})
            p.check(get.get("path") == path and get.get("port") in ("admin", a["admin_port"]),
                    f"{where} {name}: {probe} is not {path} on the admin port")
        for e in c.get("env", []):
            src = e.get("valueFrom", {})
            if "configMapKeyRef" in src:
                ref = src["configMapKeyRef"]
                p.check(ref["key"] in configmaps.get(ref["name"], {}).get("data", {}),
                        f"{where} {name}: {e['name']} refers to missing {ref['name']}/{ref['key']}")
            if "secretKeyRef" in src:
                p.check(src["secretKeyRef"]["name"] in SECRETS,
                        f"{where} {name}: Secret {src['secretKeyRef']['name']} is not documented")
        svc = services.get(name, {})
        p.check(matches({"matchLabels": svc.get("spec", {}).get("selector", {})}, pod_labels[name]),
                f"{where} Service {name} does not select its pods")
        p.check({sp["name"] for sp in svc.get("spec", {}).get("ports", [])} == {"api", "admin"},
                f"{where} Service {name}: ports")
        p.check(any(matches(pdb["spec"]["selector"], pod_labels[name]) for pdb in pdbs.values()),
                f"{where} {name}: no PodDisruptionBudget")

    # 3. Autoscaling: the gateway and the busiest agents; the autoscaler owns their replica count.
    for name in [gen.GATEWAY] + gen.BUSIEST:
        h = hpas.get(name)
        if p.check(h is not None, f"{where} no HorizontalPodAutoscaler for {name}"):
            ref = h["spec"]["scaleTargetRef"]
            p.check(ref["kind"] == "Deployment" and ref["name"] in deployments, f"{where} HPA {name}: target")
            p.check("replicas" not in deployments.get(name, {}).get("spec", {}),
                    f"{where} {name}: the Deployment sets replicas under an autoscaler")
            p.check(1 <= h["spec"].get("minReplicas", 1) <= h["spec"]["maxReplicas"], f"{where} HPA {name}: range")

    # 4. Network: default deny; agents reach only Kafka, PostgreSQL, DNS and the agents they call;
    #    only the gateway takes traffic from anywhere; Prometheus may scrape admin ports.
    deny = [n for n, np in policies.items() if np["spec"]["podSelector"] == {} and
            set(np["spec"].get("policyTypes", [])) == {"Ingress", "Egress"} and
            not np["spec"].get("ingress") and not np["spec"].get("egress")]
    p.check(bool(deny), f"{where} no default-deny NetworkPolicy")
    for a in agents:
        name, labels = a["name"], pod_labels.get(a["name"], {})
        selecting = [np["spec"] for np in policies.values() if matches(np["spec"]["podSelector"], labels)
                     or np["spec"]["podSelector"] == {}]
        egress = [r for s in selecting for r in s.get("egress", [])]
        ingress = [r for s in selecting for r in s.get("ingress", [])]
        reached = set()
        for r in egress:
            p.check(bool(r.get("to")), f"{where} {name}: egress to anywhere")
            for peer in r.get("to", []):
                target = (peer.get("podSelector") or {}).get("matchLabels", {})
                if "ipBlock" in peer:
                    reached.add("ipBlock")
                elif target.get("k8s-app") == "kube-dns":
                    reached.add("dns")
                elif target.get("app.kubernetes.io/name") in ("kafka", "postgresql"):
                    reached.add(target["app.kubernetes.io/name"])
                else:
                    callee = next((n for n, lab in pod_labels.items()
                                   if matches(peer.get("podSelector"), lab)), None)
                    p.check(callee in a["calls"], f"{where} {name}: egress to {peer} it does not call")
                    reached.add(f"agent:{callee}")
        for need in ("dns", "kafka", "postgresql"):
            p.check(need in reached, f"{where} {name}: no egress to {need}")
        open_rules = [r for r in ingress if not r.get("from")]
        if name == gen.GATEWAY:
            p.check(any(pt.get("port") in ("api", a["api_port"]) for r in open_rules for pt in r.get("ports", [])),
                    f"{where} the gateway is not reachable from outside")
        p.check(all(all(pt.get("port") in ("api", a["api_port"]) for pt in r.get("ports", [])) and r.get("ports")
                    for r in open_rules), f"{where} {name}: open to anywhere beyond the gateway's API")
        p.check(name == gen.GATEWAY or not open_rules, f"{where} {name}: reachable from anywhere")
        p.check(any(any((f.get("podSelector") or {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                        == "prometheus" for f in r.get("from", []))
                    and any(pt.get("port") in ("admin", a["admin_port"]) for pt in r.get("ports", []))
                    for r in ingress), f"{where} {name}: Prometheus may not scrape the admin port")

    # 5. The Ingress reaches the gateway's API port.
    ingresses = of("Ingress")
    p.check(len(ingresses) == 1, f"{where} Ingresses: {sorted(ingresses)}")
    for ing in ingresses.values():
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                b = path["backend"]["service"]
                p.check(b["name"] == gen.GATEWAY and b["port"].get("name") == "api",
                        f"{where} Ingress routes to {b}, not the gateway's API")
        for tls in ing["spec"].get("tls", []):
            p.check(tls["secretName"] in SECRETS, f"{where} TLS Secret {tls['secretName']} undocumented")

    # 6. Jobs: topics from deploy/topics.json with fleetctl; roles and schemas from provision.sql.
    jobs = of("Job")
    with open(os.path.join(common.ROOT, "deploy/topics.json"), encoding="utf-8") as f:
        topics_plan = json.load(f)
    with open(os.path.join(common.ROOT, "deploy/postgres/provision.sql"), encoding="utf-8") as f:
        provision_sql = f.read()
    topic_jobs = [j for j in jobs.values()
                  if j["spec"]["template"]["spec"]["containers"][0].get("args", [])[:2] == ["fleetctl", "topics"]]
    if p.check(len(topic_jobs) == 1, f"{where} no single topics Job (fleetctl topics)"):
        spec = topic_jobs[0]["spec"]["template"]["spec"]
        args = spec["containers"][0]["args"]
        path = args[args.index("--file") + 1]
        mount = next((m for m in spec["containers"][0]["volumeMounts"]
                      if path.startswith(m["mountPath"].rstrip("/") + "/")), None)
        vol = next((v for v in spec["volumes"] if mount and v["name"] == mount["name"]), {})
        data = configmaps.get(vol.get("configMap", {}).get("name"), {}).get("data", {})
        text = data.get(os.path.basename(path))
        p.check(text is not None and json.loads(text) == topics_plan,
                f"{where} the topics Job does not read deploy/topics.json at {path}")
    prov = [j for j in jobs.values() if "provision" in j["metadata"]["name"]]
    if p.check(len(prov) == 1, f"{where} no database provisioning Job"):
        spec = prov[0]["spec"]["template"]["spec"]
        vol = spec["volumes"][0]
        data = configmaps.get(vol.get("configMap", {}).get("name"), {}).get("data", {})
        p.check(data.get("provision.sql") == provision_sql, f"{where} provisioning SQL differs")
        names = {e["name"] for e in spec["containers"][0]["env"]}
        for a in agents:
            p.check(f"DB_PASSWORD_{a['env_suffix']}" in names, f"{where} provisioning: no password of {a['name']}")
    for j in jobs.values():
        s = j["spec"]["template"]["spec"]
        p.check(s.get("securityContext", {}).get("runAsNonRoot") is True, f"{where} Job {j['metadata']['name']} as root")

    # 7. The ServiceMonitor (structural: no schema offline) selects every agent's admin port.
    monitors = [d for d in docs if d["kind"] == "ServiceMonitor"]
    if p.check(len(monitors) == 1, f"{where} ServiceMonitors: {len(monitors)}"):
        m = monitors[0]
        p.check(m["apiVersion"] == "monitoring.coreos.com/v1", f"{where} ServiceMonitor apiVersion")
        spec = m.get("spec", {})
        p.check(set(spec) <= {"selector", "endpoints", "namespaceSelector", "jobLabel"},
                f"{where} ServiceMonitor: unexpected fields {sorted(spec)}")
        endpoints = spec.get("endpoints", [])
        p.check(bool(endpoints) and all(set(e) <= {"port", "path", "interval", "scrapeTimeout", "scheme"}
                                         for e in endpoints), f"{where} ServiceMonitor endpoints {endpoints}")
        for a in agents:
            svc = services.get(a["name"], {})
            p.check(matches(spec.get("selector"), svc.get("metadata", {}).get("labels", {})),
                    f"{where} ServiceMonitor does not select Service {a['name']}")
            names = {sp["name"] for sp in svc.get("spec", {}).get("ports", [])}
            for e in endpoints:
                p.check(e.get("port") in names and e.get("path") == "/metrics",
                        f"{where} ServiceMonitor endpoint {e} is not {a['name']}'s admin /metrics")
    return len(docs)


def main():
    p = common.Problems()
    gen = common.generator()
    overlays = sorted(os.listdir(os.path.join(common.ROOT, "deploy/k8s/overlays")))
    counts = {o: check_overlay(o, p, gen) for o in overlays}
    # Every Secret key the manifests use is explained in deploy/README.md.
    with open(os.path.join(common.ROOT, "deploy/README.md"), encoding="utf-8") as f:
        readme = f.read()
    for s in sorted(SECRETS):
        p.check(s in readme, f"deploy/README.md does not say how to create Secret {s}")
    for key in ("admin-user", "admin-password", "OPERATOR_TOKEN", "password-"):
        p.check(key in readme, f"deploy/README.md does not mention the Secret key {key}")
    p.finish("k8s: " + ", ".join(f"{o}: {n} objects" for o, n in counts.items()) +
             f" valid against Kubernetes {KUBERNETES_VERSION} (strict) and the structural checks")


if __name__ == "__main__":
    main()
