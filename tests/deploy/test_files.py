"""The deployment files validate: Kubernetes manifests against the API schemas, the compose file
against the Compose Specification (and `docker compose config` where the client has compose),
the Dockerfile through hadolint, and .env.example names every variable that anything reads.

The validators are dev dependencies (pyproject.toml), so `make test` installs them; a test
whose tool is missing skips and says so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.stack import BIN, ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (a dev dependency: make install)")
    return str(path)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("version", ["1.30.0", "1.37.0"])
def test_kubernetes_manifests_validate_strictly_against_the_api_schemas(version):
    result = run(tool("kubernetes-validate"), "--strict", "-k", version, *map(str, MANIFESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    passed = re.findall(r"passed for resource (\S+)", result.stdout + result.stderr)
    assert len(passed) == 10, result.stdout + result.stderr


def test_kubernetes_validator_rejects_a_broken_manifest(tmp_path: Path):
    """The check above can fail: an unknown field is refused in strict mode."""
    broken = tmp_path / "web.yaml"
    broken.write_text((K8S / "web.yaml").read_text().replace("containerPort:", "containerPorts:"))
    result = run(tool("kubernetes-validate"), "--strict", "-k", "1.30.0", str(broken))
    assert result.returncode != 0


def test_kustomization_lists_every_manifest_but_the_secret_example_and_the_job():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    expected = {p.name for p in MANIFESTS} - {"secret.example.yaml", "migrate-job.yaml"}
    assert listed == expected


def test_kubernetes_beat_is_a_single_replica_recreated_and_web_worker_have_probes():
    docs = {
        (doc["kind"], doc["metadata"]["name"]): doc
        for path in MANIFESTS
        for doc in yaml.safe_load_all(path.read_text())
    }
    beat = docs[("Deployment", "arena-beat")]["spec"]
    assert (beat["replicas"], beat["strategy"]["type"]) == (1, "Recreate")
    for name in ("arena-web", "arena-worker"):
        container = docs[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]
        assert {"readinessProbe", "livenessProbe"} <= container.keys()
    job = docs[("Job", "arena-migrate")]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["migrate"]


def test_compose_file_matches_the_compose_specification():
    result = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        str(DEPLOY / "compose.yaml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_config_with_the_docker_client(tmp_path: Path):
    docker = shutil.which("docker")
    if docker is None or run(docker, "compose", "version").returncode != 0:
        pytest.skip("the docker client here has no compose plugin; the schema check above ran")
    result = run(
        docker,
        "compose",
        "--env-file",
        str(DEPLOY / ".env.example"),
        "-f",
        str(DEPLOY / "compose.yaml"),
        "config",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_service_of_the_stack_with_health_checks_and_volumes():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= services.keys()
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert {"pgdata", "redisdata"} <= compose["volumes"].keys()
    assert services["beat"]["deploy"]["replicas"] == 1


def test_dockerfile_passes_hadolint():
    result = run(tool("hadolint"), str(DEPLOY / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_a_non_root_user_and_collects_static_files():
    text = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert "collectstatic" in text
    assert "python:3.11-slim" in text


def _variables_read() -> set[str]:
    """Every environment variable that the settings, the process scripts or compose read."""
    names = set(
        re.findall(r'env_(?:str|int|bool|list|secret)\(\s*"([A-Z_]+)"', _read("config/settings.py"))
    )
    for path in ("deploy/gunicorn.conf.py", "arena/metrics.py", "config/celery.py"):
        names |= set(re.findall(r'environ(?:\.get)?\(\s*"([A-Z_]+)"', _read(path)))
    for path in ("deploy/run.sh", "deploy/local.sh", "deploy/compose.yaml"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)(?=[:}])", _read(path)))
    return names - {"PATH", "SECONDS"}


def _read(path: str) -> str:
    return (ROOT / path).read_text()


def test_env_example_documents_every_variable():
    documented = set(
        re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", _read("deploy/.env.example"), re.MULTILINE)
    )
    read = _variables_read()
    assert len(read) > 40
    assert read - documented == set()


@pytest.mark.parametrize("name", ["arena.conf", "compose.conf"])
def test_nginx_accepts_the_example_configurations(name, tmp_path: Path):
    """`nginx -t` on the file inside a minimal nginx.conf; certificate and upstream host made
    local, since neither exists here."""
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light to run this check)")
    site = (DEPLOY / "nginx" / name).read_text().replace("server web:8000", "server 127.0.0.1:8000")
    if "ssl_certificate" in site:
        cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        made = run(
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=arena.example.org", "-keyout", str(key), "-out", str(cert),
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
        site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path};\n"
        f"include {tmp_path}/site.conf; }}\n"
    )
    result = run(nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"))
    assert result.returncode == 0, result.stderr
