"""`make run` names the address it serves: the links load_demo prints, the demo requests' redirect URL
and the portal's own URLs (PORTAL_BASE_URL) follow ADDR, whatever it is (the Makefile's RUN_BASE_URL)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_commands(*args: str, **env: str) -> list[str]:
    """The commands `make run` would run (make -n: nothing runs), those of manage.py."""
    assert shutil.which("make"), "make is needed (apt-get install make)"
    environment = {k: v for k, v in os.environ.items() if k != "PORTAL_BASE_URL"} | env
    result = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return [line for line in result.stdout.splitlines() if "manage.py load_demo" in line or "runserver" in line]


@pytest.mark.parametrize(
    ("addr", "url"),
    [
        ([], "http://127.0.0.1:8000"),
        (["ADDR=127.0.0.1:8123"], "http://127.0.0.1:8123"),
        (["ADDR=8124"], "http://127.0.0.1:8124"),  # runserver's bare port
        (["ADDR=0.0.0.0:8125"], "http://127.0.0.1:8125"),  # every interface: reached at 127.0.0.1
    ],
)
def test_the_demo_and_the_server_name_the_address_make_run_serves(addr, url):
    load_demo, runserver = run_commands(*addr)
    assert load_demo.startswith(f"PORTAL_BASE_URL={url} ") and load_demo.endswith("manage.py load_demo")
    assert runserver.startswith(f"PORTAL_BASE_URL={url} ") and "manage.py runserver" in runserver


def test_a_portal_base_url_set_by_the_person_wins():
    load_demo, runserver = run_commands("ADDR=0.0.0.0:8000", PORTAL_BASE_URL="https://demo.example")
    assert load_demo.startswith("PORTAL_BASE_URL=https://demo.example ")
    assert runserver.startswith("PORTAL_BASE_URL=https://demo.example ")
