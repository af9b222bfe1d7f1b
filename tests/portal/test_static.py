import os
import subprocess
import sys
from pathlib import Path

from tests.test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_production_collectstatic_succeeds_and_fingerprints_the_portal_assets(tmp_path):
    """Production serves hashed files from a manifest: a CSS file pointing at a missing file breaks every page."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SYSTEMBRUKER_"))}
    env.update(PRODUCTION_ENV, DATABASE_URL="sqlite:///:memory:", STATIC_ROOT=str(tmp_path))
    command = [sys.executable, "manage.py", "collectstatic", "--noinput"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    inter_css = next((tmp_path / "vendor" / "inter").glob("inter.*.css")).read_text()
    assert "inter-latin-400-normal." in inter_css
    assert list((tmp_path / "css").glob("portal.*.css"))
