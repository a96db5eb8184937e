"""The two contracts of the engine: what a model offers it and what a data source does.

A **model** (``models/``: Mixture, HMM, the next one) is an immutable value. Its E-step on
one chunk returns additive statistics with a ``log_likelihood`` field; its M-step turns
the summed statistics into the next model. A **source** (``engine/sources.py``: rows in
memory, whole sequences; a Dask or streaming source is one more subclass) decides how the
data is cut into chunks, where each chunk's E-step runs, and sums the chunk statistics
with ``+``. The engine's loop (:func:`emkit.engine.run_em`) sees only these two.
"""

from abc import ABC, abstractmethod

__all__ = ["Model", "Source"]


class Model(ABC):
    """What the EM loop needs from a model.

    Required: :meth:`chunk_stats`, :meth:`m_step` and :meth:`bytes_per_row`. The other
    capabilities have defaults that a model overrides when it has something to say.

    Attributes
    ----------
    monotone : bool
        False when the last M-step may have lowered the likelihood on purpose (a
        re-seeded component, a prior); the loop then skips its drop check once.
    """

    monotone = True

    @abstractmethod
    def chunk_stats(self, X, sample_weight=None, **chunk):
        """E-step on one chunk: additive statistics with a ``log_likelihood`` field.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.
        sample_weight : ndarray, default=None
            Weights of the chunk's rows (or sequences).
        **chunk
            What the source adds for each chunk (``lengths`` of whole sequences).

        Returns
        -------
        stats : AdditiveStats
        """

    @abstractmethod
    def m_step(self, stats):
        """Return the model that maximizes the expected log-likelihood of ``stats``.

        Parameters
        ----------
        stats : AdditiveStats
            The statistics summed over every chunk.

        Returns
        -------
        model : Model
        """

    @abstractmethod
    def bytes_per_row(self, X):
        """Return the working-set bytes of one row in an E-step (to size chunks).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Rows of the data (all of them, or a sample).

        Returns
        -------
        n_bytes : int
        """

    def min_chunk_rows(self, X):
        """Return the fewest rows per chunk worth an E-step (0: the engine's own floor).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Rows of the data (all of them, or a sample).

        Returns
        -------
        rows : int
        """
        return 0

    def resolution(self, dtype):
        """Return the smallest change of the log-likelihood the E-step resolves.

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
            0 when the E-step is exact to float64 rounding.
        """
        return 0.0


class Source(ABC):
    """What the EM loop needs from the data: chunks, where they run, and their sum.

    A subclass says how the data is cut (:meth:`chunks`) and what a chunk function
    receives for one chunk (:meth:`chunk_args`); :meth:`map_reduce` runs the chunks and
    adds their results in chunk order, so the sum does not depend on where they ran.
    """

    @property
    @abstractmethod
    def dtype(self):
        """The dtype of the data's values."""

    @property
    @abstractmethod
    def total_weight(self):
        """Sum of the weights of the samples (their number when unweighted)."""

    @abstractmethod
    def sample_rows(self):
        """Return rows to size chunks by (the data itself when it is in memory).

        Returns
        -------
        X : ndarray of shape (n_rows, n_features)
        """

    def start_source(self):
        """Return the in-process source that starting values are computed from.

        Initialization (k-means, random rows, the data's covariance) reads this source's
        rows and only those: the data itself when it is in memory (this source), a bounded
        uniform sample of rows when it is not.

        Returns
        -------
        source : ArraySource
            A source whose ``X`` (and ``sample_weight``, ``lengths`` where it has them)
            are arrays in this process.
        """
        return self

    def batches(self, batch_size, order=None):
        """Yield the data as batches, each a source of its own (online EM).

        Parameters
        ----------
        batch_size : int
            Rows (or whole sequences) per batch; the last batch may be shorter.
        order : numpy.random.RandomState, default=None
            Draws a permutation of the rows (or sequences) the batches take; None takes
            them consecutively.

        Yields
        ------
        batch : Source
        """
        raise TypeError(f"Online EM streams data in memory or memory-mapped; "
                        f"{type(self).__name__} cannot be cut into batches, so fit it with "
                        "learning_method='batch'.")

    @abstractmethod
    def chunks(self, bytes_per_row=1024, min_rows=0):
        """Return the bounds of the chunks.

        Parameters
        ----------
        bytes_per_row : int, default=1024
            Working-set bytes per row of the chunk function, to size automatic chunks.
        min_rows : int, default=0
            Fewest rows per automatic chunk.

        Returns
        -------
        bounds : list of tuple of int
        """

    @abstractmethod
    def chunk_args(self, bounds):
        """Return what the chunk function receives for the chunk ``bounds``.

        Parameters
        ----------
        bounds : tuple of int
            One of :meth:`chunks`' bounds.

        Returns
        -------
        args : tuple
            Positional arguments (the rows, their weights).
        kwargs : dict
            Keyword arguments (for example ``lengths``).
        """

    @abstractmethod
    def map_reduce(self, fn, bytes_per_row=1024, min_rows=0, in_order=False):
        """Sum ``fn`` over every chunk, in chunk order.

        Parameters
        ----------
        fn : callable
            Chunk function returning an additive value.
        bytes_per_row : int, default=1024
            Working-set bytes per row of ``fn``, to size automatic chunks.
        min_rows : int, default=0
            Fewest rows per automatic chunk.
        in_order : bool, default=False
            Call ``fn`` on one chunk after another, first to last, in the calling
            process (a function that draws random numbers per chunk needs it).

        Returns
        -------
        total
            The sum of the chunk values.
        """
