"""Where files are written: never over a device, pipe or socket; through symbolic links;
whole or not at all even when the writing process is killed, with no temporaries left.

Every case uses real files, links, pipes and processes in a temporary folder.
"""

import os
import random
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import emkit
from emkit._files import atomic_write, remove_stale_temporaries
from emkit.cli import main
from emkit.io import load, save

RNG = np.random.default_rng(3)
X = np.vstack([RNG.normal(c, 1.0, (30, 2)) for c in ([0, 0], [5, 5])])


@pytest.fixture(scope="module")
def model():
    return emkit.GaussianMixture(2, random_state=0).fit(X)


def _fifo(path):
    os.mkfifo(path)


def _socket(path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def _device(path):
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc})")


NODES = {"FIFO": (_fifo, stat.S_ISFIFO, "a named pipe (FIFO)"),
         "socket": (_socket, stat.S_ISSOCK, "a socket"),
         "device": (_device, stat.S_ISCHR, "a character device")}


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.parametrize("kind", list(NODES))
def test_save_refuses_a_device_pipe_or_socket_and_leaves_it(kind, model, tmp_path):
    make, is_kind, words = NODES[kind]
    node = tmp_path / "node"
    make(node)
    with pytest.raises(OSError, match=f"node' is {words.replace('(', '[(]').replace(')', '[)]')}"
                                      ", which a write would replace; give the path of a "
                                      "regular file"):
        save(model, node)
    assert is_kind(os.lstat(node).st_mode)
    assert os.listdir(tmp_path) == ["node"]


@pytest.mark.parametrize("kind", list(NODES))
def test_the_command_line_refuses_a_device_output_in_one_line(kind, model, tmp_path, capsys):
    make, is_kind, words = NODES[kind]
    save(model, tmp_path / "m.emkit")
    np.savetxt(tmp_path / "d.csv", X, delimiter=",")
    make(tmp_path / "out")
    for argv in (["predict", tmp_path / "m.emkit", tmp_path / "d.csv", "-o", tmp_path / "out"],
                 ["sample", tmp_path / "m.emkit", "-n", "3", "-o", tmp_path / "out"]):
        assert main([str(a) for a in argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.splitlines()) == 1
        assert f"out' is {words}, which a write would replace" in captured.err
    assert is_kind(os.lstat(tmp_path / "out").st_mode)


def test_a_symbolic_link_is_written_through_and_kept(model, tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "real.emkit"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "latest.emkit"
    link.symlink_to(os.path.join("runs", "real.emkit"))
    save(model, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "real.emkit")
    assert real.stat().st_mode & 0o777 == 0o640
    assert_array_equal(load(real).predict_proba(X), model.predict_proba(X))
    assert sorted(os.listdir(tmp_path)) == ["latest.emkit", "runs"]
    assert os.listdir(tmp_path / "runs") == ["real.emkit"]


def test_a_link_to_a_missing_file_creates_it(model, tmp_path):
    link = tmp_path / "link.emkit"
    link.symlink_to(tmp_path / "made.emkit")
    save(model, link)
    assert link.is_symlink() and (tmp_path / "made.emkit").is_file()
    assert_array_equal(load(link).predict(X), model.predict(X))


def test_the_command_line_checks_the_folder_a_link_leads_to(model, tmp_path, capsys):
    save(model, tmp_path / "m.emkit")
    (tmp_path / "out.csv").symlink_to(tmp_path / "missing" / "out.csv")
    assert main(["sample", str(tmp_path / "m.emkit"), "-n", "3", "-o",
                 str(tmp_path / "out.csv")]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"emkit: error: the folder of {str(tmp_path / 'out.csv')!r} does "
                            "not exist; create it first.\n")
    (tmp_path / "missing").mkdir()
    assert main(["sample", str(tmp_path / "m.emkit"), "-n", "3", "-o",
                 str(tmp_path / "out.csv")]) == 0
    assert (tmp_path / "out.csv").is_symlink()
    assert len((tmp_path / "missing" / "out.csv").read_text().splitlines()) == 4


def test_links_to_what_cannot_be_replaced_are_refused(model, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to_pipe").symlink_to(tmp_path / "pipe")
    (tmp_path / "locked").write_bytes(b"old")
    (tmp_path / "locked").chmod(0o444)
    (tmp_path / "to_locked").symlink_to(tmp_path / "locked")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "to_folder").symlink_to(tmp_path)
    cases = {"to_pipe": "is a named pipe", "to_locked": "is read-only; make it writable",
             "loop": "is a symbolic link that never leads to a file; fix or remove the link",
             "to_folder": "is a folder; give a file name"}
    for name, message in cases.items():
        with pytest.raises(OSError, match=message):
            save(model, tmp_path / name)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)
    assert (tmp_path / "locked").read_bytes() == b"old"
    assert not _temporaries(tmp_path)


# -- temporaries of saves that were killed ---------------------------------------------
def test_stale_temporaries_are_removed_and_running_saves_are_left_alone(tmp_path):
    path = tmp_path / "out.bin"
    other = tmp_path / ".other.bin.0123456789abcdef.tmp"  # another target's: not ours
    other.write_bytes(b"x")
    started, go = threading.Event(), threading.Event()

    def slow(stream):
        stream.write(b"first")
        started.set()
        assert go.wait(30)

    first = threading.Thread(target=atomic_write, args=(path, slow))
    first.start()
    try:
        assert started.wait(30)
        running = [name for name in _temporaries(tmp_path) if name != other.name]
        assert len(running) == 1
        stale = tmp_path / ".out.bin.0123456789abcdef.tmp"  # as a killed save leaves it
        stale.write_bytes(b"half a file")
        atomic_write(path, lambda stream: stream.write(b"second"))
        assert path.read_bytes() == b"second"
        assert _temporaries(tmp_path) == sorted([other.name] + running)  # the stale one went
        remove_stale_temporaries(path)
        assert running[0] in _temporaries(tmp_path)
    finally:
        go.set()
        first.join()
    assert path.read_bytes() == b"first"
    assert _temporaries(tmp_path) == [other.name]


def test_concurrent_saves_of_one_file_all_succeed(model, tmp_path):
    path = tmp_path / "m.emkit"
    errors = []

    def loop():
        try:
            for _ in range(15):
                save(model, path)
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=loop) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert os.listdir(tmp_path) == ["m.emkit"]
    assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


_SAVE_FOREVER = """
import sys
from emkit.io import load, save
model = load(sys.argv[1])
print("ready", flush=True)
while True:
    save(model, sys.argv[2])
"""


def test_saves_killed_at_random_moments_never_lose_the_file(tmp_path):
    # A big model (about 30 MB), so most kills land while its temporary file is written.
    K, D = 4, 250_000
    rng = np.random.default_rng(0)
    big = emkit.GaussianMixture(K, covariance_type="diag")
    big.weights_ = np.full(K, 1 / K)
    big.means_ = rng.normal(size=(K, D))
    big.covariances_ = rng.uniform(0.5, 2.0, size=(K, D))
    big.precisions_ = 1 / big.covariances_
    big.precisions_cholesky_ = np.sqrt(big.precisions_)
    big.converged_, big.n_iter_, big.lower_bound_, big.n_features_in_ = True, 1, -1.0, D
    (tmp_path / "source").mkdir()
    source = save(big, tmp_path / "source" / "big.emkit")
    folder = tmp_path / "out"
    folder.mkdir()
    path = save(big, folder / "big.emkit")
    rows = rng.normal(size=(3, D))
    expected = big.score_samples(rows)
    chooser = random.Random(0)
    left = []
    # Six kills at least, more (up to 20) until one has landed mid-save: on a loaded
    # machine a kill may land between saves several times in a row.
    while len(left) < 6 or (max(left) == 0 and len(left) < 20):
        proc = subprocess.Popen([sys.executable, "-c", _SAVE_FOREVER, str(source), str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline() == "ready\n", proc.stderr.read()
            time.sleep(chooser.uniform(0.05, 0.8))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(60)
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        assert_array_equal(load(path).score_samples(rows), expected)  # whole, never torn
        left.append(len(_temporaries(folder)))
    assert max(left) >= 1  # some kills did land mid-save, leaving their temporaries
    save(big, path)
    assert os.listdir(folder) == ["big.emkit"]
    assert_array_equal(load(path).score_samples(rows), expected)
