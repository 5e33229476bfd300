"""The README's configuration table names every variable the settings read."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILES = [ROOT / "config" / "settings.py", ROOT / "config" / "settings_work.py",
                  ROOT / "config" / "settings_leases.py", ROOT / "portal" / "saml_config.py"]
READ = re.compile(r"\benv_(?:str|bool|int|list|mapping|required)\(\s*\"([A-Z][A-Z0-9_]*)\"")


def variables_read() -> set[str]:
    return {name for path in SETTINGS_FILES for name in READ.findall(path.read_text())}


def variables_documented() -> set[str]:
    section = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, re.MULTILINE))


def test_the_settings_read_the_variables_this_test_expects() -> None:
    # Guards the pattern above: if it stopped matching, the next test would prove nothing.
    assert {"SECRET_KEY", "DATABASE_URL", "PORTAL_SAML_IDP_X509CERT_FILE"} <= variables_read()


def test_every_variable_the_settings_read_is_in_the_readme_table() -> None:
    missing = variables_read() - variables_documented()
    assert not missing, f"add these to the configuration table in README.md: {sorted(missing)}"


def test_the_readme_table_names_no_variable_the_settings_do_not_read() -> None:
    stale = variables_documented() - variables_read()
    assert not stale, f"README.md documents variables nothing reads: {sorted(stale)}"


def test_the_readme_lists_the_demo_users_of_the_dev_idp() -> None:
    users = yaml.safe_load((ROOT / "portal" / "devidp" / "demo_users.yaml").read_text())["users"]
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z]+\.[a-z]+)` \|", readme, re.MULTILINE))
    assert listed == {user["uid"] for user in users}
