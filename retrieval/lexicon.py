"""An entity lexicon: link names to entity ids and find known entities in free text.

Surface forms come from annotated corpus mentions (each normalised surface keeps the count of
every id it was annotated with) and, when a MeSH vocabulary is given, from the preferred names
of typed MeSH descriptors (chemicals and diseases). Corpus evidence wins over MeSH names: a
curator's link for "depression" in a drug-safety abstract beats the MeSH psychology concept.
It grounds LLM-proposed entity names (:meth:`EntityLexicon.link`) and annotates text for
entity-aware retrieval (:meth:`EntityLexicon.find_mentions`).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from agent.types import Entity, EntityType
from retrieval.abbreviations import defined_abbreviations
from retrieval.ids import has_known_prefix
from retrieval.mesh import MeshVocabulary
from retrieval.pubtator import Document
from retrieval.surfaces import key, most_common, named_ids, tokens

logger = logging.getLogger(__name__)

Key = tuple[str, ...]
# In running text, very short surfaces ("Mg", "Tin") and short acronyms ("ALL", "PD") only
# match their seen spelling: case-insensitive matching would find magnesium in every "mg"
# and acute lymphoblastic leukaemia in every "all". `link` stays case-insensitive.
_TINY = 3
_SHORT = 4


@dataclass(frozen=True)
class LinkResult:
    """The outcome of :meth:`EntityLexicon.link`: an entity, or None and the reason why not."""

    entity: Entity | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.entity is not None


class EntityLexicon:
    """Surface form -> entity dictionary built from annotated documents and MeSH names.

    Build it with :meth:`build`. Matching ignores case, spacing and hyphens ("5-FU" equals
    "5 fu"), except that short acronyms must keep their capitals in running text.
    """

    def __init__(
        self,
        entities: dict[str, Entity],
        corpus: dict[Key, Counter[str]],
        names: dict[Key, set[str]],
        acronyms: dict[Key, set[str]],
    ) -> None:
        self._entities = entities
        self._corpus = corpus
        self._names = names
        self._acronyms = acronyms
        self._prefixes = {k[:n] for k in (*corpus, *names) for n in range(1, len(k) + 1)}

    @classmethod
    def build(
        cls, documents: Iterable[Document], mesh: MeshVocabulary | None = None
    ) -> EntityLexicon:
        """Collect surfaces from ``documents`` (linked mentions only) and MeSH preferred names.

        Composite mentions contribute their individual parts; mentions with several ids and no
        parts ("MODY" -> three genes) are ambiguous and only name their ids.
        """
        corpus: dict[Key, Counter[str]] = defaultdict(Counter)
        surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        types: dict[str, Counter[EntityType]] = defaultdict(Counter)
        raw_forms: dict[Key, set[str]] = defaultdict(set)
        for doc in documents:
            for mention in doc.mentions:
                pairs = [(i, s) for i, s in named_ids(mention) if has_known_prefix(i)]
                for entity_id, surface in pairs:
                    surfaces[entity_id][surface] += 1
                    types[entity_id][mention.entity_type] += 1
                    if len(pairs) == 1 or mention.parts:
                        corpus[key(surface)][entity_id] += 1
                        raw_forms[key(surface)].add(surface)
        corpus.pop((), None)

        entities = {
            entity_id: Entity(
                id=entity_id,
                name=(mesh.name(entity_id) if mesh else None) or most_common(surfaces[entity_id]),
                type=(mesh.entity_type(entity_id) if mesh else None) or most_common(counts),
            )
            for entity_id, counts in types.items()
        }
        names = _mesh_names(mesh, entities, raw_forms) if mesh else {}
        acronyms = {k: forms for k, forms in raw_forms.items() if _case_sensitive(k, forms)}
        logger.info(
            "lexicon: %d entities, %d corpus surfaces, %d MeSH names",
            len(entities),
            len(corpus),
            len(names),
        )
        return cls(entities, dict(corpus), names, acronyms)

    def __len__(self) -> int:
        return len(self._entities)

    def entity(self, entity_id: str) -> Entity | None:
        """The entity (preferred name and type) for a namespaced id, or None if unknown."""
        return self._entities.get(entity_id)

    def link(self, name: str, expected_type: EntityType | None = None) -> LinkResult:
        """Ground a name (or a namespaced id) to one entity.

        The most frequent corpus link of the normalised name wins, then MeSH preferred names;
        with ``expected_type`` only candidates of that type count.
        """
        if not name.strip():
            return LinkResult(None, "empty name")
        if name.strip() in self._entities:
            return self._typed(name, [self._entities[name.strip()]], expected_type, "id")
        name_key = key(name)
        for variant, how in ((name_key, "name"), (_singular(name_key), "singular")):
            candidates = self._candidates(variant)
            if candidates:
                return self._typed(name, candidates, expected_type, how)
        return LinkResult(None, f"no lexicon entry for {name!r}")

    def find_mentions(self, text: str) -> list[tuple[int, int, Entity]]:
        """Longest-match dictionary annotation of ``text``: ``(start, end, entity)`` spans.

        Matches start and end on word boundaries and do not overlap. An abbreviation defined
        in the text ("5-fluorouracil (5-FU)") then stands for its long form's entity.
        """
        toks = tokens(text)
        local: dict[Key, Entity] = {}
        found: list[tuple[int, int, Entity]] = []
        i = 0
        while i < len(toks):
            end, entity = self._longest(text, toks, i, local)
            if entity is None:
                i += 1
                continue
            found.append((toks[i][1], toks[end - 1][2], entity))
            for abbreviation in defined_abbreviations(text, toks, i, end):
                local[abbreviation] = entity
            i = end
        return found

    def _candidates(self, name_key: Key) -> list[Entity]:
        """Entities for a key, most frequent corpus link first, then MeSH names."""
        counts = self._corpus.get(name_key, Counter())
        ranked = sorted(counts, key=lambda i: (-counts[i], i))
        ranked += sorted(self._names.get(name_key, set()) - set(ranked))
        return [self._entities[i] for i in ranked]

    def _typed(
        self, name: str, candidates: list[Entity], expected: EntityType | None, how: str
    ) -> LinkResult:
        chosen = next((e for e in candidates if expected in (None, e.type)), None)
        if chosen is None:
            best = candidates[0]
            return LinkResult(
                None,
                f"{name!r} is a {best.type.value} ({best.id}), "
                f"expected {expected.value if expected else 'any'}",
            )
        return LinkResult(chosen, f"linked {name!r} to {chosen.id} ({chosen.name}) by {how}")

    def _longest(
        self, text: str, toks: list[tuple[str, int, int]], i: int, local: dict[Key, Entity]
    ) -> tuple[int, Entity | None]:
        """The longest known span starting at token ``i``: (end token, entity or None)."""
        local_prefixes = {k[:n] for k in local for n in range(1, len(k) + 1)}
        best_end, best = i, None
        for j in range(i + 1, len(toks) + 1):
            span_key = _key(toks, i, j)
            if span_key not in self._prefixes and span_key not in local_prefixes:
                break
            if span_key in local:
                best_end, best = j, local[span_key]
            elif self._matches(span_key, text[toks[i][1] : toks[j - 1][2]]):
                best_end, best = j, self._candidates(span_key)[0]
        return best_end, best

    def _matches(self, span_key: Key, surface: str) -> bool:
        if span_key not in self._corpus and span_key not in self._names:
            return False
        forms = self._acronyms.get(span_key)
        return forms is None or surface in forms


def _key(toks: list[tuple[str, int, int]], start: int, end: int) -> Key:
    return tuple(t for t, _, _ in toks[start:end])


def _mesh_names(
    mesh: MeshVocabulary, entities: dict[str, Entity], raw_forms: dict[Key, set[str]]
) -> dict[Key, set[str]]:
    """Index typed MeSH preferred names, adding an entity for each id the corpus lacks."""
    names: dict[Key, set[str]] = defaultdict(set)
    for mesh_id in mesh.ids():
        entity_type, name = mesh.entity_type(mesh_id), mesh.name(mesh_id)
        if entity_type is None or not name:
            continue
        names[key(name)].add(mesh_id)
        raw_forms[key(name)].add(name)
        entities.setdefault(mesh_id, Entity(id=mesh_id, name=name, type=entity_type))
    names.pop((), None)
    return dict(names)


def _case_sensitive(name_key: Key, forms: set[str]) -> bool:
    """Tiny keys, and short ones whose every seen form has two or more capitals ("5-FU")."""
    length = len(" ".join(name_key))
    acronym = all(sum(c.isupper() for c in form) >= 2 for form in forms)
    return length <= _TINY or (length <= _SHORT and acronym)


def _singular(name_key: Key) -> Key:
    """The last word made singular ("seizures", "toxicities"); the key itself if not plural."""
    last = name_key[-1] if name_key else ""
    if len(last) > 4 and last.endswith("ies"):
        return (*name_key[:-1], last[:-3] + "y")
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        return (*name_key[:-1], last[:-1])
    return name_key
