"""The EM engine: one loop for every model, fed by data sources that sum chunk statistics."""

from emkit.engine.loop import EMResult, EMStep, fit_em, run_em
from emkit.engine.monitor import ConvergenceMonitor
from emkit.engine.protocols import Model, Source
from emkit.engine.sources import ArraySource, SequenceSource

__all__ = ["ArraySource", "ConvergenceMonitor", "EMResult", "EMStep", "Model", "SequenceSource",
           "Source", "fit_em", "run_em"]
