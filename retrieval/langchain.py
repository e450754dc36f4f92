"""LangChain adapter: use a passage index anywhere LangChain takes a retriever.

``ChunkRetriever(index=ChunkIndex.build(...), k=5).invoke("query")`` returns LangChain
``Document`` objects whose metadata carries ``pmid``, ``score`` and ``chunk_id``.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from retrieval.bm25 import BM25Index
from retrieval.index import ChunkIndex


class ChunkRetriever(BaseRetriever):
    """A LangChain retriever over a :class:`ChunkIndex` (or a :class:`BM25Index`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: ChunkIndex | BM25Index = Field(description="The passage index to query.")
    k: int = Field(default=5, ge=1, description="Passages returned per query.")

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return [
            LCDocument(
                page_content=hit.text,
                metadata={"pmid": hit.pmid, "score": hit.score, "chunk_id": hit.chunk_id},
            )
            for hit in self.index.retrieve(query, k=self.k)
        ]
