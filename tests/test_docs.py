"""The README stays true: every setting and command it should name, it names."""

from geoapp.cli import cli
from geoapp.config import DEFAULTS, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for key in DEFAULTS:
        assert f"`{key}`" in README, key


def test_every_cli_command_is_documented():
    for name in cli.commands:
        assert f"geoapp {name}" in README, name


def test_the_two_commands_are_shown():
    assert "make run" in README and "make test" in README


def test_linked_docs_exist():
    import re

    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
