"""deploy/postgres/provision.sql (what Compose's db-provision and the Kubernetes Job run) against a
real PostgreSQL 15 started here on 127.0.0.1: every agent gets a login role with its password and
a schema of its own that its tables land in; a second run (a password rotated) changes nothing
else; a missing password stops it with the setting's name."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
SQL = os.path.join(common.ROOT, "deploy", "postgres", "provision.sql")
ADMIN_PASSWORD = "admin-secret"


def server_user():
    """PostgreSQL refuses to run as root: then the server runs as the package's postgres user."""
    if os.geteuid() != 0:
        return {}
    import pwd
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        sys.exit("running as root but there is no postgres user (postgresql-15 creates it)")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "uid": pw.pw_uid, "gid": pw.pw_gid}


def server(cmd, env):
    """Runs a server tool (initdb, pg_ctl) as the user that may."""
    who = server_user()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90,
                       user=who.get("user"), group=who.get("group"), cwd="/")
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = common.Problems()
    gen = common.generator()
    agents = gen.load_agents()
    if not os.path.exists(os.path.join(PG_BIN, "postgres")):
        sys.exit(f"{PG_BIN}/postgres is missing: run ./fleet install (postgresql-15)")
    tmp = tempfile.mkdtemp(prefix="commerce-provision-")
    if server_user():
        os.chown(tmp, server_user()["uid"], server_user()["gid"])
    data, port = os.path.join(tmp, "data"), free_port()
    base_env = {"PATH": f"{PG_BIN}:/usr/bin:/bin", "PGHOST": "127.0.0.1", "PGPORT": str(port)}

    def psql(user, password, database, *args, env=None):
        e = dict(base_env, PGUSER=user, PGPASSWORD=password, PGDATABASE=database)
        e.update(env or {})
        return subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"] + list(args),
                              env=e, capture_output=True, text=True, timeout=60)

    try:
        with open(os.path.join(tmp, "pw"), "w") as f:
            f.write(ADMIN_PASSWORD)
        if server_user():
            os.chown(os.path.join(tmp, "pw"), server_user()["uid"], server_user()["gid"])
        server([f"{PG_BIN}/initdb", "-D", data, "-U", "commerce", "--pwfile", os.path.join(tmp, "pw"),
                    "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                "--no-sync"], dict(base_env, LC_ALL="C"))
        server([f"{PG_BIN}/pg_ctl", "-D", data, "-w", "-t", "60", "-l", os.path.join(tmp, "log"),
                    "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {tmp}", "start"], base_env)
        r = psql("commerce", ADMIN_PASSWORD, "postgres", "-c", "CREATE DATABASE commerce")
        if r.returncode != 0:
            sys.exit(r.stderr)

        passwords = {a["name"]: f"pw-{a['role']}-1" for a in agents}

        def provision():
            env = {f"DB_PASSWORD_{a['env_suffix']}": passwords[a["name"]] for a in agents}
            return psql("commerce", ADMIN_PASSWORD, "commerce", "-f", SQL, env=env)

        r = provision()
        p.check(r.returncode == 0, f"first run failed: {r.stderr}")
        passwords[agents[0]["name"]] = "pw-rotated-2"
        r = provision()
        p.check(r.returncode == 0, f"second run (rotated password) failed: {r.stderr}")

        for a in agents:
            role, pw = a["role"], passwords[a["name"]]
            r = psql(role, pw, "commerce", "-c", "SELECT current_user, current_schema()",
                     "-c", "CREATE TABLE provision_probe (id int)",
                     "-c", "SELECT schemaname FROM pg_tables WHERE tablename = 'provision_probe' AND tableowner = current_user")
            p.check(r.returncode == 0 and r.stdout.split() == [f"{role}|{role}", role],
                    f"{a['name']}: as role {role}: rc {r.returncode} {r.stdout!r} {r.stderr.strip()}")
            r = psql(role, pw, "commerce", "-c", "CREATE TABLE public.provision_probe (id int)")
            p.check(r.returncode != 0 and "permission denied" in r.stderr,
                    f"{a['name']}: may create tables in public ({r.stderr.strip()})")
        first = agents[0]
        r = psql(first["role"], "pw-" + first["role"] + "-1", "commerce", "-c", "SELECT 1")
        p.check(r.returncode != 0 and "password authentication failed" in r.stderr,
                f"{first['name']}: the old password still works after rotation")

        env = {f"DB_PASSWORD_{a['env_suffix']}": "x" for a in agents[1:]}
        r = psql("commerce", ADMIN_PASSWORD, "commerce", "-f", SQL, env=env)
        want = f"DB_PASSWORD_{first['env_suffix']} is not set"
        p.check(r.returncode != 0 and want in r.stderr, f"a missing password: rc {r.returncode} {r.stderr.strip()}")
    finally:
        who = server_user()
        subprocess.run([f"{PG_BIN}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], env=base_env,
                       capture_output=True, user=who.get("user"), group=who.get("group"), cwd="/")
        shutil.rmtree(tmp, ignore_errors=True)
    p.finish(f"provision.sql: {len(agents)} roles and schemas, idempotent, passwords rotate")


if __name__ == "__main__":
    main()
