"""The README says what the code does: its pages exist, its role list is the roles, its layout is the tree."""

import re

from workflow.config import ROOT
from workflow.roles import Role

README = (ROOT / "README.md").read_text()


def test_every_page_the_readme_points_to_exists(app):
    adapter = app.url_map.bind("localhost")
    pages = set(re.findall(r"\(`(/[a-z][\w/.-]*)`\)", README)) - {"/api/v1"}  # that one is a prefix
    assert "/admin/users" in pages and "/overview" in pages
    for path in pages:
        adapter.match(path, method="GET")  # raises NotFound for a page that does not exist


def test_the_role_list_is_the_roles():
    paragraph = re.search(r"^Roles: (.+?)\. Provinces", README, re.M | re.S).group(1)
    assert set(re.findall(r"`(\w+)`", paragraph)) == {r.value for r in Role}


def test_the_layout_names_every_module_and_only_modules_that_exist():
    block = re.search(r"^## Layout\n\n```\n(.+?)```", README, re.M | re.S).group(1)
    package = ROOT / "src" / "workflow"
    entries = {p.name + ("/" if p.is_dir() else "") for p in package.iterdir() if p.name != "__pycache__"}
    for entry in entries:
        assert entry in block, f"{entry} is missing from the README's layout"
    listed = re.findall(r"^  (\S.*?)\s{2,}", block, re.M)
    names = {n.strip() for line in listed for n in line.split(",")}
    assert names, "the layout lists src/workflow's modules"
    for name in names:
        assert (package / name.rstrip("/")).exists(), f"the README's layout names {name}, which does not exist"
