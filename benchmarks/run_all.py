"""Run every benchmark of issue 12 in one go and write BENCHMARKS.md.

Runs, each in its own subprocess: bench_gaussian_mixture.py (every covariance type and
dtype against scikit-learn, the fastest of three fits at N=200,000), bench_small.py
(small fits against scikit-learn), bench_hmm.py (against hmmlearn) and bench_discrete.py
(against pomegranate), collects their markdown and writes one file: a header, the
machine (processor, cores, BLAS and its kernel, load average at start and end), a summary
of the issue-12 rows with their targets, then one section per benchmark. The sections of
the file it replaces that it does not write itself (profiles, other issues' benchmarks,
earlier runs) follow, unchanged and in their order; only "Reading the summary", which
reads the replaced run, goes with it.

With --before REF a temporary git worktree of REF is made and the benchmarks that take
--emkit-path run a second time with emkit imported from that worktree's src folder, right
after the run of the checkout, so that the before and after numbers come from the same
machine in the same run; the summary puts them side by side.  The worktree is removed at
the end, also when a benchmark fails.

Run:  .venv/bin/python benchmarks/run_all.py [--before REF] [--only gmm,small,hmm,discrete]
      [--quick] [--output BENCHMARKS.md]
"""

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

from bench_gaussian_mixture import machine_info, summary_row

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
POMEGRANATE_HINT = ("pomegranate is not installed: bench_discrete.py measures emkit alone. "
                    "To compare with it: .venv/bin/pip install torch==2.13.0 pomegranate")
#: name -> (title, script, options, options of --quick)
BENCHES = {
    "gmm": ("GaussianMixture against scikit-learn", "bench_gaussian_mixture.py",
            ["--repeat", "3,1"],
            ["--n-samples", "20000", "--iters", "2"]),
    "small": ("Small Gaussian mixtures against scikit-learn", "bench_small.py", [],
              ["--repeat", "1", "--iters", "20"]),
    "hmm": ("HMMs against hmmlearn", "bench_hmm.py", ["--repeats", "3"],
            ["--cases", "many,full,categorical", "--n-iter", "2", "--repeats", "1"]),
    "discrete": ("Discrete mixtures against pomegranate", "bench_discrete.py", [],
                 ["--n-samples", "20000", "--iters", "2", "--repeat", "1"]),
}
HMM_CASES = {"many": "GaussianHMM diag, 50 x 2,000 steps",
             "long": "GaussianHMM diag, one sequence of 1,000,000 steps",
             "full": "GaussianHMM full, 50 x 2,000 steps",
             "categorical": "CategoricalHMM, 20 symbols, 50 x 2,000 steps"}
HMM_TARGET, DISCRETE_FLOOR_TARGET = 5.0, 3.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------- running one benchmark
def accepts(script, option):
    """Whether ``script --help`` lists ``option``."""
    proc = subprocess.run([sys.executable, os.path.join(HERE, script), "--help"],
                          capture_output=True, text=True, cwd=ROOT)
    return option in proc.stdout


def run_bench(name, quick, emkit_path=None):
    """Run one benchmark with --markdown; return (markdown, summary rows, error or None)."""
    _, script, options, quick_options = BENCHES[name]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, os.path.join(HERE, script), "--markdown"]
        cmd += quick_options if quick else options
        json_path = os.path.join(tmp, "results.json")
        own_json = accepts(script, "--json")
        cmd += ["--json", json_path] if own_json else []
        cmd += ["--emkit-path", emkit_path] if emkit_path else []
        log(f"== {name}{' (before)' if emkit_path else ''}: "
            f"{' '.join(shlex.quote(c) for c in cmd[1:])}")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        log(f"== {name} took {time.perf_counter() - t0:.0f} s (exit status {proc.returncode})")
        error = None if proc.returncode == 0 else f"exit status {proc.returncode}"
        if own_json and os.path.exists(json_path):
            with open(json_path) as f:
                rows = json.load(f)["summary"]
        else:
            rows = PARSERS.get(name, lambda text: [])(proc.stdout)
    return proc.stdout.strip(), rows, error


# ----------------------------------------------------------------- reading markdown tables
def markdown_table(text):
    """The first markdown table of ``text`` as a list of {column title: cell}."""
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    if len(lines) < 2:
        return []
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return [dict(zip(cells[0], row)) for row in cells[2:]]


def number(cell):
    try:
        return float(str(cell).rstrip("x").replace(",", ""))
    except (TypeError, ValueError):
        return None


def hmm_summary(text):
    return [summary_row(f"{HMM_CASES.get(r['case'], r['case'])}: s/it vs hmmlearn", "hmmlearn",
                        number(r.get("hl s/it")), number(r.get("em s/it")),
                        number(r.get("speedup")), ">=", HMM_TARGET)
            for r in markdown_table(text)]


def discrete_summary(text):
    rows = []
    for r in markdown_table(text):
        em = number(r.get("emkit s/it"))
        rows.append(summary_row(f"{r['case']} mixture: s/it / matrix-product floor",
                                "product floor", number(r.get("floor s")), em,
                                number(r.get("emkit/floor")), "<=", DISCRETE_FLOOR_TARGET))
        if number(r.get("pomegranate/emkit")) is not None:
            rows.append(summary_row(f"{r['case']} mixture: s/it vs pomegranate", "pomegranate",
                                    number(r.get("pomegranate s/it")), em,
                                    number(r.get("pomegranate/emkit")), ">", 1.0))
    return rows


PARSERS = {"hmm": hmm_summary, "discrete": discrete_summary}


# ----------------------------------------------------------------- the summary table
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def meets(ratio, op, goal):
    if op is None or ratio is None:
        return None
    return {">=": ratio >= goal, "<=": ratio <= goal, ">": ratio > goal, "<": ratio < goal}[op]


def value(v, unit):
    if v is None:
        return "-"
    return f"{v:.1f} {unit}" if unit in ("MB", "ms") else f"{v:.4f} {unit}"


def summary_table(after, before):
    """Markdown: one row per issue-12 row, the before and after ratios side by side."""
    old = {r["case"]: r for r in before}
    lines = ["| case | compared with | its time | emkit before | emkit after | ratio before "
             "| ratio after | target | result |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for r in after:
        b = old.get(r["case"], {})
        ok = meets(r["ratio"], r["op"], r["goal"])
        ratio = lambda x: "-" if x is None else f"{x:.2f}x"  # noqa: E731
        target = f"{SYMBOLS[r['op']]} {r['goal']:g}x" if r["op"] else "-"
        lines.append(" | ".join([
            f"| {r['case']}", r["peer"], value(r["peer_value"], r["unit"]),
            value(b.get("emkit_value"), r["unit"]), value(r["emkit_value"], r["unit"]),
            ratio(b.get("ratio")), ratio(r["ratio"]), target,
            "-" if ok is None else ("PASS" if ok else "MISS")]) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------- the file
@contextmanager
def worktree(ref):
    """A detached git worktree of ``ref`` in a temporary folder, removed on exit."""
    tmp = tempfile.mkdtemp(prefix="emkit-before-")
    path = os.path.join(tmp, "tree")
    try:
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", path, ref],
                       check=True, cwd=ROOT)
        yield path
    finally:
        if os.path.isdir(path):
            subprocess.run(["git", "worktree", "remove", "--force", path], cwd=ROOT)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT)
        shutil.rmtree(tmp, ignore_errors=True)


def describe(ref):
    proc = subprocess.run(["git", "log", "-1", "--format=%h %s", ref], capture_output=True,
                          text=True, cwd=ROOT)
    return proc.stdout.strip()[:100] or ref


def header(args, info, notes):
    command = "benchmarks/run_all.py" + "".join(
        f" {shlex.quote(a)}" for a in sys.argv[1:])
    lines = ["# Benchmarks", "",
             "emkit against scikit-learn, hmmlearn and pomegranate: both sides start from the "
             "same parameters and run a fixed number of iterations (`tol=0`); every "
             "measurement runs in its own subprocess after a warm-up. A ratio above 1x is "
             "emkit faster, except the ratios to a floor or to the size of X, where lower is "
             "better. Timings vary between processors and between runs on a shared machine: "
             "every table below was measured on the processor named here, in one run, up "
             "to the sections this script does not write, which it keeps from the file it "
             "replaced (each names its own machine and command).", "",
             f"Command: `.venv/bin/python {command}`", ""]
    if args.quick:
        lines += ["**Quick mode**: small sizes and few iterations, to try the scripts out; "
                  "these numbers say nothing about the targets.", ""]
    lines += ["## Machine", ""]
    lines += [f"- **{k}**: {v}" for k, v in info.items()]
    return lines + [""] + [f"- {n}" for n in notes] + ([""] if notes else [])


def sections(results, before_ref):
    lines = []
    for name, res in results.items():
        lines += [f"## {BENCHES[name][0]}", ""]
        for label, (markdown, _, error) in res.items():
            if label == "before":
                lines += [f"### Before: {before_ref}", ""]
            elif "before" in res:
                lines += ["### After: this checkout", ""]
            if error:
                lines += [f"**The benchmark failed ({error}); its output follows.**", ""]
            lines += [markdown or "(no output)", ""]
    return lines


#: Level-2 sections the report writes itself, besides one per benchmark.
OWN_SECTIONS = ("Machine", "Summary of issue 12")
#: Sections of a report that read its run, dropped with it when the report is replaced.
RUN_NOTES = ("Reading the summary",)


def kept_sections(old_text):
    """The level-2 sections of a previous report that this script does not write.

    Parameters
    ----------
    old_text : str
        The markdown of the report being replaced.

    Returns
    -------
    sections : list of str
        Each section with its subsections, in the order of ``old_text``: every one but
        the report's own (``OWN_SECTIONS``, the benchmarks' titles) and ``RUN_NOTES``.
    """
    dropped = set(OWN_SECTIONS) | set(RUN_NOTES) | {title for title, *_ in BENCHES.values()}
    sections, fenced = [], False
    for line in old_text.splitlines():
        fenced ^= line.lstrip().startswith("```")
        if line.startswith("## ") and not fenced:
            sections.append([line])
        elif sections:
            sections[-1].append(line)
    return ["\n".join(lines).strip() for lines in sections
            if lines[0][3:].strip() not in dropped]


def write_report(path, args, info, notes, results, before_ref):
    after = [r for res in results.values() for r in res["after"][1]]
    before = [r for res in results.values() if "before" in res for r in res["before"][1]]
    lines = header(args, info, notes)
    lines += ["## Summary of issue 12", ""]
    if before_ref:
        lines += [f"Before = {before_ref}; after = this checkout. Each ratio compares emkit "
                  f"with the peer measured in the same benchmark run; \"its time\" is the "
                  f"peer's in the after run.", ""]
    lines += [summary_table(after, before), ""]
    lines += sections(results, before_ref)
    if os.path.exists(path):
        with open(path) as f:
            lines += [part + "\n" for part in kept_sections(f.read())]
    text = "\n".join(lines).rstrip() + "\n"
    with open(path, "w") as f:
        f.write(text.replace(ROOT + os.sep, ""))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", metavar="REF", default=None,
                   help="git ref of the emkit to measure as 'before' (e.g. the commit before "
                        "the performance work)")
    p.add_argument("--only", default=",".join(BENCHES),
                   help="comma list of the benchmarks to run: " + ",".join(BENCHES))
    p.add_argument("--quick", action="store_true",
                   help="small sizes and few iterations, to try the scripts out")
    p.add_argument("--output", default="BENCHMARKS.md", help="file to write")
    args = p.parse_args()
    args.only = args.only.split(",")
    if any(name not in BENCHES for name in args.only):
        p.error(f"--only takes a comma list of {','.join(BENCHES)}")
    if args.before and subprocess.run(["git", "rev-parse", "--verify", "--quiet",
                                       f"{args.before}^{{commit}}"], capture_output=True,
                                      cwd=ROOT).returncode != 0:
        p.error(f"--before: {args.before} is not a commit of this repository")
    return args


def run_everything(args, tree, notes):
    """{benchmark: {"after": (markdown, rows, error), "before": ...}}."""
    results = {}
    for name in args.only:
        if name == "discrete" and importlib.util.find_spec("pomegranate") is None:
            log(POMEGRANATE_HINT)
            notes.append(POMEGRANATE_HINT)
        results[name] = {"after": run_bench(name, args.quick)}
        if tree is None:
            continue
        script = BENCHES[name][1]
        if accepts(script, "--emkit-path"):
            results[name]["before"] = run_bench(name, args.quick, os.path.join(tree, "src"))
        else:
            notes.append(f"{script} has no --emkit-path option: its rows have no 'before' "
                         f"numbers.")
            log(notes[-1])
    return results


def main():
    args = parse_args()
    info = machine_info()
    notes = []
    before_ref = describe(args.before) if args.before else None
    with (worktree(args.before) if args.before else _nothing()) as tree:
        results = run_everything(args, tree, notes)
        if tree:  # the worktree's path, in what the benchmarks printed, by its ref
            results = {name: {label: (md.replace(tree, f"<worktree of {args.before}>"), rows,
                                      err) for label, (md, rows, err) in res.items()}
                       for name, res in results.items()}
    info["load average at end"] = round(os.getloadavg()[0], 2)
    write_report(args.output, args, info, notes, results, before_ref)
    log(f"wrote {args.output}")
    failed = [f"{name} ({label})" for name, res in results.items()
              for label, (_, _, err) in res.items() if err]
    if failed:
        log("failed: " + ", ".join(failed))
        sys.exit(1)


@contextmanager
def _nothing():
    yield None


if __name__ == "__main__":
    main()
