"""scidisco retrieval: literature in, documents, entities, passages and co-occurrences out.

| module | what it holds |
|---|---|
| `pubtator` | `Document`/`Mention`/`SourceRelation`, `read_pubtator`, `PubTatorFormatError` |
| `jsonl`, `pubmed`, `corpus` | JSONL, PubMed XML, MEDLINE readers; `read_corpus(path, format)` |
| `ids`, `surfaces` | type/namespace mapping of corpus ids; surface-form normalisation |
| `store` | `DocumentStore`: documents, mentions, relations in SQL (SQLAlchemy 2) |
| `mesh` | `MeshVocabulary`: names, types, tree hierarchy, corpus supplements |
| `lexicon`, `abbreviations` | `EntityLexicon`: `link` names to entities, `find_mentions` in text |
| `chunking`, `embeddings` | passages with offsets; all-MiniLM-L6-v2 unit vectors |
| `index`, `bm25`, `langchain` | `ChunkIndex` (FAISS flat/HNSW), `BM25Index`, `ChunkRetriever` |
| `hybrid` | `reciprocal_rank_fusion`, `HybridRetriever`: document-level RRF, ties by PMID |
| `entity_retriever` | `EntityRetriever`: BM25 over the linked entity ids of abstracts |
| `cooccurrence` | `CooccurrenceGraph`: document counts of entity pairs |
| `bench` | `python -m retrieval.bench`: speed and quality numbers |

Submodules are imported explicitly (``from retrieval.index import ChunkIndex``) so that
reading a corpus never loads torch.
"""
