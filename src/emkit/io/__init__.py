"""Model files: save an emkit estimator to one safe file and load it back.

A file is a zip of ``model.json`` and ``.npy`` arrays; nothing is pickled or executed.
"""

from emkit.exceptions import ModelFileError
from emkit.io.model_file import load, save

__all__ = ["ModelFileError", "load", "save"]
