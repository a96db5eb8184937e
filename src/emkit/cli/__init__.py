"""The ``emkit`` command line: fit, predict, transform, score, sample, inspect, select models.

``main`` parses the arguments, runs one sub-command and turns errors into one stderr line.
"""

import os
import sys

from emkit.cli import commands, info, tools, topics
from emkit.cli.errors import report_error
from emkit.cli.output import Output
from emkit.cli.parser import build_parser

__all__ = ["main"]

COMMANDS = {"fit": commands.fit, "predict": commands.predict, "score": commands.score,
            "transform": topics.transform, "sample": commands.sample, "info": info.info,
            "select": tools.select, "segment": tools.segment, "demo": tools.demo}


def main(argv=None):
    """Run the ``emkit`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 on any error (bad input, or an unexpected failure), 130 when
        interrupted, 1 when the reader of standard output went away.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    out = Output(json=args.json, quiet=args.quiet)
    try:
        with out.capturing_warnings():
            COMMANDS[args.command](args, out)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("emkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        return report_error(exc, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
