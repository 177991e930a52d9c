"""The public mail corpus some tests read: the one place that says where it is.

The corpus (real and hostile messages collected from other projects) is not in
this repository. It is looked for in $COMPTOIR_MAIL_CORPUS, by default in
../shared/mail-corpus beside the checkout. Tests that read it carry the
``corpus`` marker: without the corpus they are skipped, with a reason naming the
variable and the path looked at (tests/conftest.py), and with
COMPTOIR_REQUIRE_CORPUS=1 (CI, .ci/run) that skip is a failure.

Nothing here reads the corpus at import time, so collection never fails
without it. tests/mail/hostile.py generates hostile messages that every clone
has.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CORPUS_VARIABLE = "COMPTOIR_MAIL_CORPUS"
REQUIRE_VARIABLE = "COMPTOIR_REQUIRE_CORPUS"
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "mail-corpus"
CORPUS = Path(os.environ.get(CORPUS_VARIABLE) or DEFAULT_CORPUS).expanduser().resolve()
MISSING_REASON = (
    f"no mail corpus at {CORPUS}: set {CORPUS_VARIABLE} to the folder of the public mail corpus "
    f"(default ../shared/mail-corpus beside the checkout)"
)

# The corpus keeps each source project's README and licence beside its messages.
_NOT_MESSAGES = ("README", "LICENSE", "LICENCE", "MIT-LICENSE", "COPYING")


def corpus_present() -> bool:
    return CORPUS.is_dir()


def is_message(path: Path) -> bool:
    return path.is_file() and not path.name.upper().startswith(_NOT_MESSAGES)


def corpus_files() -> list[Path]:
    """Every message file of the corpus, sorted; none when it is absent."""
    if not corpus_present():
        return []
    return sorted(path for path in CORPUS.rglob("*") if is_message(path))


def corpus_params(files: list[Path] | None = None) -> list[Any]:
    """One pytest.param per corpus message, named by its path in the corpus.

    Without the corpus: one placeholder, skipped with MISSING_REASON, instead of
    pytest's "empty parameter set" that names neither the variable nor the path.
    """
    files = corpus_files() if files is None else files
    if not files:
        return [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(reason=MISSING_REASON))]
    return [pytest.param(path, id=path.relative_to(CORPUS).as_posix()) for path in files]
