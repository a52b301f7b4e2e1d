"""docker/compose.yaml describes the same stack as the Makefile path (no Docker engine here)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_has_the_same_processes_as_make_run():
    compose = yaml.safe_load((ROOT / "docker/compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    db_image = (ROOT / "docker" / services["db"]["build"]["dockerfile"]).read_text()
    assert "FROM postgis/postgis:" in db_image
    # Every extension provisioning creates must be in the image too.
    provision = (ROOT / "scripts/provision.sh").read_text()
    assert "-rum" in provision and "postgresql-15-rum" in db_image
    assert "portal.wsgi" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "portal", "beat"]
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )

    procfile = (ROOT / "Procfile").read_text()
    assert "gunicorn portal.wsgi" in procfile
    assert "celery -A portal worker" in procfile
    assert "celery -A portal beat" in procfile
