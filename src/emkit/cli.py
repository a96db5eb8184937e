"""The ``emkit`` command line."""

import argparse
import sys

__all__ = ["main"]


def main(argv=None):
    """Run the ``emkit`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 on bad input.
    """
    parser = argparse.ArgumentParser(prog="emkit", description="EM for latent-variable models.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the seed examples on built-in data")
    demo.add_argument("--out", default="demo-output", help="folder for the plots")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from emkit.demo import run_demo
        run_demo(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
