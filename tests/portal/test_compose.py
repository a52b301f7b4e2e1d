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


def test_web_and_worker_share_one_media_volume_that_outlives_a_redeploy():
    """An import uploaded through web is read by worker, and the map worker builds is served
    by web: both mount the same named volume (not a container's own disk) at MEDIA_ROOT."""
    compose = yaml.safe_load((ROOT / "docker/compose.yaml").read_text())
    services = compose["services"]
    media_root = services["web"]["environment"]["MEDIA_ROOT"]
    dockerfile = (ROOT / "docker/Dockerfile").read_text()
    assert f"chown portal {media_root}" in dockerfile  # the volume starts owned by the portal

    def media_volume(name):
        for mount in services[name].get("volumes", []):
            source, _, target = mount.partition(":")
            if target.split(":")[0] == media_root:
                return source
        return None

    volume = media_volume("web")
    assert volume is not None and "/" not in volume, "web: a named volume at MEDIA_ROOT"
    assert volume in compose["volumes"]
    assert media_volume("worker") == volume
    assert services["worker"]["environment"]["MEDIA_ROOT"] == media_root
