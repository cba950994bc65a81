"""The dtype every large text column of the package's tables uses, in one place."""

from __future__ import annotations

__all__ = ["TEXT_DTYPE"]

#: Text columns of the documents, paragraphs and report tables (and the units topic models are fitted on): pandas
#: strings stored in Arrow buffers, not one Python object per cell. 100,000 pages' documents table takes 0.30 GB
#: instead of 0.56 GB, and it goes to and from the Parquet snapshot without a copy per string. Missing values are
#: ``pd.NA``, as with pandas' other ``string`` dtype; ``.tolist()`` still gives Python strings.
TEXT_DTYPE = "string[pyarrow]"
