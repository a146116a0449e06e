"""Check that every installed distribution's licence allows distributing EMSS under Apache-2.0.

    python tools/check_licences.py        # exit 1 and list the problems, if any

Reads each distribution's metadata (importlib.metadata): the SPDX `License-Expression` when there
is one, else the `License ::` classifiers, else a short `License` field. Permissive licences and
weak copyleft used as a library (MPL-2.0, LGPL: Python imports the unmodified library at run
time) are allowed; GPL, AGPL, anything else or nothing at all is a problem unless it has a
reviewed entry in EXCEPTIONS, with the reason.
"""
import re
import sys
from importlib.metadata import distributions

ALLOWED = {
    "MIT", "MIT-0", "MIT-CMU", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "BSD", "ISC", "Apache-2.0",
    "PSF-2.0", "Python-2.0", "Zlib", "CC0-1.0", "Unlicense", "HPND",
    # weak copyleft, fine for a library used unmodified: its own files stay under its licence
    "MPL-2.0", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
    "LGPL-3.0-or-later",
}

# Trove classifiers and free-text License fields, as SPDX identifiers.
ALIASES = {
    "mit license": "MIT", "mit": "MIT",
    "bsd license": "BSD", "bsd": "BSD", "bsd-3-clause": "BSD-3-Clause", "bsd-2-clause": "BSD-2-Clause",
    "apache software license": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache-2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0", "apache license 2.0": "Apache-2.0",
    "python software foundation license": "PSF-2.0", "psfl": "PSF-2.0", "psf": "PSF-2.0",
    "isc license (iscl)": "ISC", "isc": "ISC",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0", "mpl-2.0": "MPL-2.0",
    "gnu lesser general public license v2 or later (lgplv2+)": "LGPL-2.0-or-later",
    "gnu lesser general public license v3 (lgplv3)": "LGPL-3.0-only",
    "gnu lesser general public license v3 or later (lgplv3+)": "LGPL-3.0-or-later",
    "lgpl": "LGPL-2.0-or-later",
    "gnu general public license (gpl)": "GPL", "gnu general public license v2 (gplv2)": "GPL-2.0-only",
    "gnu general public license v3 (gplv3)": "GPL-3.0-only",
    "gnu affero general public license v3": "AGPL-3.0-only",
    "the unlicense (unlicense)": "Unlicense", "zlib/libpng license": "Zlib",
    "historical permission notice and disclaimer (hpnd)": "HPND",
}

# Reviewed by hand: name -> why it is acceptable although the metadata does not say so.
EXCEPTIONS = {
    "secantusdb": "GPL-2.0-only AND CC-BY-4.0: the embedded store server for `make run` and the "
                  "tests. EMSS never imports it: it runs as its own process (secantusd-py, "
                  "emss_common/storeserver.py) spoken to over the MongoDB wire protocol, so EMSS "
                  "is not a work based on it; production may use MongoDB instead. Whoever ships "
                  "it (e.g. in the image) must offer its source as GPL-2.0 requires.",
}

OWN = re.compile(r"^emss[-_]")  # this repository's packages: Apache-2.0 (LICENSE, pyproject.toml)


def licence_of(meta):
    """(SPDX expression or list of identifiers joined with AND, where it came from), or (None, None)."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression, "License-Expression"
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::") and c.strip() != "License :: OSI Approved"]
    if classifiers:
        return " AND ".join(_alias(c) for c in classifiers), "classifiers"
    text = (meta.get("License") or "").strip()
    if text and text.upper() != "UNKNOWN" and len(text) < 100:
        return _alias(text), "License"
    return None, None


def _alias(name):
    return ALIASES.get(name.strip().lower(), name.strip())


def allowed(expression):
    """Whether an SPDX expression (AND, OR, WITH, parentheses) can be met with ALLOWED licences."""
    tokens = re.findall(r"\(|\)|[^\s()]+", expression)
    position = 0

    def parse_or():
        nonlocal position
        value = parse_and()
        while position < len(tokens) and tokens[position].upper() == "OR":
            position += 1
            value = parse_and() or value
        return value

    def parse_and():
        nonlocal position
        value = parse_one()
        while position < len(tokens) and tokens[position].upper() == "AND":
            position += 1
            value = parse_one() and value
        return value

    def parse_one():
        nonlocal position
        if position >= len(tokens):
            return False
        token = tokens[position]
        position += 1
        if token == "(":
            value = parse_or()
            position += 1  # ")"
            return value
        if position < len(tokens) and tokens[position].upper() == "WITH":
            position += 2  # an exception only adds permissions
        return _alias(token) in ALLOWED

    result = parse_or()
    return result and position == len(tokens)


def problems(dists=None):
    """[(name, what the metadata says)] for every distribution whose licence is not allowed."""
    out = []
    for dist in dists if dists is not None else distributions():
        meta = dist.metadata
        name = meta.get("Name") or "?"
        if OWN.match(name) or name.lower() in EXCEPTIONS:
            continue
        expression, source = licence_of(meta)
        if expression is None:
            out.append((name, "no licence in its metadata"))
        elif not allowed(expression):
            out.append((name, f"{expression} ({source})"))
    return sorted(set(out), key=lambda p: p[0].lower())


def main():
    found = problems()
    for name, why in found:
        print(f"licence not allowed: {name}: {why}")
    if found:
        print("Replace the dependency, or review it and add it to EXCEPTIONS in tools/check_licences.py "
              "with the reason.", file=sys.stderr)
        return 1
    print("licences: every installed distribution is allowed "
          f"({len(EXCEPTIONS)} reviewed exception(s): {', '.join(sorted(EXCEPTIONS))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
