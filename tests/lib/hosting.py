"""The shipped hosting recipes (conf/hosting/*) as the tests use them: each file is a template
whose @NAME@ placeholders the operator replaces by hand (the README says with what); render()
does the same, so a test serves exactly the recipe a user copies."""

import os
import re

from client import ROOT

__all__ = ["CONSOLE", "HOSTING", "render", "render_to"]

HOSTING = os.path.join(ROOT, "conf", "hosting")
CONSOLE = os.path.join(ROOT, "console")  # @CONSOLE@: the console's static files
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def render(name, **values):
    """The text of conf/hosting/<name> with every @KEY@ replaced by values[KEY]; a placeholder
    left without a value is an error, so a recipe and its test cannot drift apart."""
    with open(os.path.join(HOSTING, name)) as f:
        text = f.read()
    missing = sorted({m for m in _PLACEHOLDER.findall(text) if m not in values})
    if missing:
        raise KeyError("%s: no value for %s" % (name, ", ".join(missing)))
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def render_to(path, name, **values):
    """render() written to path; returns path."""
    with open(path, "w") as f:
        f.write(render(name, **values))
    return path
