"""benchmarks/run_all.py replaces its own sections of BENCHMARKS.md and keeps the others."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import run_all  # noqa: E402

OLD = """# Benchmarks

Old header.

## Machine

- **CPU**: an old one

## Summary of issue 12

| old summary |

## Reading the summary

- about the old run

## HMMs against hmmlearn

### After: this checkout

| old hmm table |

## Profiles of the E-step changes (issue 12)

### First round

```text
## not a heading: inside a code block
```

- a profile

## Out of core and on Dask (issue 15)

- kept too
"""


def test_kept_sections_are_the_ones_the_script_does_not_write_in_order():
    kept = run_all.kept_sections(OLD)
    assert [part.splitlines()[0] for part in kept] == [
        "## Profiles of the E-step changes (issue 12)", "## Out of core and on Dask (issue 15)"]
    assert "## not a heading: inside a code block" in kept[0]
    assert kept[0].endswith("- a profile") and kept[1].endswith("- kept too")


def test_a_new_report_replaces_its_sections_and_keeps_the_others(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(OLD)
    args = argparse.Namespace(quick=False)
    results = {"hmm": {"after": ("| new hmm table |", [], None)}}
    run_all.write_report(str(path), args, {"CPU": "a new one"}, [], results, None)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n")
    for gone in ("an old one", "old summary", "about the old run", "old hmm table",
                 "Old header"):
        assert gone not in text
    assert text.count("## HMMs against hmmlearn") == 1 and "| new hmm table |" in text
    assert text.index("| new hmm table |") < text.index("## Profiles of the E-step") \
        < text.index("## Out of core and on Dask") < text.index("- kept too")
    # Written twice over, the kept part does not grow.
    run_all.write_report(str(path), args, {"CPU": "a new one"}, [], results, None)
    assert path.read_text() == text
