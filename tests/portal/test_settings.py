"""Production mode is checked in a fresh process, as a deployment would start it."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7$kq!2mZp9@Lw4#Vr8&Tn6*Yb3^Hc5(Jd1)Fg0-Se7+Ua2=Qi4~Oe9_Rt5",
    "ALLOWED_HOSTS": "portal.example.cn",
    "DATABASE_URL": "postgis://mianbei:mianbei@127.0.0.1:5432/mianbei",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, **env):
    # A deployment has no test-only switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_database_url_stops_start_up_with_one_line():
    result = manage("check", **{**PRODUCTION, "DATABASE_URL": "mysql://somewhere/db"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]


def test_a_bad_replica_url_stops_start_up_naming_the_variable():
    result = manage("check", **{**PRODUCTION, "DATABASE_REPLICA_URLS": "mysql://replica/db"})
    assert result.returncode == 2
    assert "DATABASE_REPLICA_URLS" in result.stderr.strip().splitlines()[0]


def test_each_replica_url_becomes_a_replica_database():
    urls = "postgis://r:r@10.0.0.2:5432/mianbei, postgis://r:r@10.0.0.3:5432/mianbei"
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DATABASE_REPLICAS, "
        "s.DATABASES['replica2']['HOST'], s.DATABASES['replica2']['ENGINE'])",
        DATABASE_REPLICA_URLS=urls,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "['replica1', 'replica2'] 10.0.0.3 django.contrib.gis.db.backends.postgis"
    )


def test_an_unreachable_database_is_one_line_too():
    result = manage(
        "migrate", "--check", **{**PRODUCTION, "DATABASE_URL": "postgis://u:p@127.0.0.1:1/none"}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]


def test_a_missing_secret_key_in_production_names_the_variable():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "配置错误 / configuration error: SECRET_KEY is not set; it is required when DEBUG is off"
    ]


def test_a_weak_secret_key_is_refused():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def test_a_malformed_boolean_names_the_variable():
    result = manage("check", **{**PRODUCTION, "DEBUG": "maybe"})
    assert result.returncode == 2
    assert "DEBUG" in result.stderr


def test_language_and_time_are_chinese_first(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_a_web_worker_runs_what_the_apps_registered_for_boot():
    # portal.wsgi may not import the catalogue (a lower layer), so the catalogue registers its
    # jieba warm-up with the portal, and the wsgi module runs what was registered.
    from portal import startup
    from sharing.catalogue.text import warm_up

    assert warm_up in startup._web_boot


def settings_of(names, **env) -> dict:
    script = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {names!r}}}))"
    )
    result = manage("shell", "-c", script, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_forwarded_scheme_is_believed_only_behind_a_trusted_proxy():
    # Without a proxy in front, X-Forwarded-Proto is the client's to invent.
    direct = settings_of(["SECURE_PROXY_SSL_HEADER"], **PRODUCTION)
    assert direct == {"SECURE_PROXY_SSL_HEADER": None}
    proxied = settings_of(["SECURE_PROXY_SSL_HEADER"], **PRODUCTION, TRUSTED_PROXY_COUNT="1")
    assert proxied == {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_production_answers_the_api_in_json_only():
    production = settings_of(["REST_FRAMEWORK"], **PRODUCTION)["REST_FRAMEWORK"]
    assert production["DEFAULT_RENDERER_CLASSES"] == ["rest_framework.renderers.JSONRenderer"]
    development = settings_of(["REST_FRAMEWORK"], DEBUG="true")["REST_FRAMEWORK"]
    assert (
        "rest_framework.renderers.BrowsableAPIRenderer" in (development["DEFAULT_RENDERER_CLASSES"])
    )


def test_in_production_a_browser_asking_the_api_for_html_gets_json():
    script = (
        "import json; from django.test import Client; "
        "r = Client().get('/api/me/', HTTP_ACCEPT='text/html,*/*;q=0.8', "
        "HTTP_HOST='portal.example.cn', secure=True); "
        "print(json.dumps([r.status_code, r['Content-Type']]))"
    )
    result = manage("shell", "-c", script, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    status, content_type = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 401
    assert content_type == "application/json"
