"""What a model asks its family when the engine plans chunks: shared by Mixture and HMM."""

from emkit.engine.protocols import Model

__all__ = ["FamilyDelegate"]


class FamilyDelegate(Model):
    """A :class:`emkit.engine.Model` whose chunk planning is its ``family``'s.

    A model (a dataclass with a ``family`` field and ``n_components``) inherits the
    chunk floor, the working-set bytes per row and the resolution of its family; it
    adds ``ROW_BYTES_PER_STATE`` bytes per row and component for its own arrays. It
    still writes ``chunk_stats`` and ``m_step``.
    """

    #: The model's own working-set bytes per row and component, beyond the family's.
    ROW_BYTES_PER_STATE = 0

    def min_chunk_rows(self, X):
        """Return the fewest rows per chunk worth an E-step (the family's floor).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        rows : int
        """
        return self.family.min_chunk_rows(X)

    def bytes_per_row(self, X):
        """Return the working-set bytes of one row in an E-step.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        n_bytes : int
        """
        return self.family.bytes_per_row(X) + self.ROW_BYTES_PER_STATE * self.n_components

    def resolution(self, dtype):
        """Return the smallest change of the per-sample log-likelihood the E-step resolves.

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
        """
        return self.family.resolution(dtype)
