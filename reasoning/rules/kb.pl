% The scidisco knowledge-base rules: entity types, the MeSH is-a hierarchy, relation
% signatures, and the checks known / contradicts / well_typed.
%
% Facts live in one module per KnowledgeBase (Python names it, e.g. kb_3), so several KBs in
% one process never see each other's facts. Every predicate here takes that module M first:
%   M:tree(Entity, TreeNumber)                     a MeSH tree position of Entity
%   M:parent(Child, Parent, ChildTree, ParentTree) one is-a edge, derived from tree-number
%                                                  prefixes by kb_derive_parents/2
%   M:declared(Entity, Type)                       type given by a corpus, for entities
%                                                  without tree numbers (genes, MeSH C-IDs)
%   M:fact(Subject, Relation, Object)              a known relation, e.g. a BC5CDR CID pair
%
% Proofs are lists of steps; each step is a list whose head names it (typed_tree, parent,
% fact, rule, ...). Python renders them with entity names.

:- module(scidisco_kb, [
    kb_check/10,
    kb_derive_parents/2,
    kb_typing/8,
    kb_known/6,
    kb_contradicts/6,
    kb_contradiction_levels/5,
    signature/3
]).

:- use_module(library(lists)).
:- use_module(library(apply)).

%!  signature(?Relation, ?SubjectType, ?ObjectType)
%
%   The typed relation vocabulary: a chemical induces, treats or palliates a disease; genes,
%   variants and chemicals are associated with diseases (and genes with chemicals); chemicals
%   and genes interact with each other.
signature(induces, chemical, disease).
signature(treats, chemical, disease).
signature(palliates, chemical, disease).
signature(associated_with, gene, disease).
signature(associated_with, variant, disease).
signature(associated_with, chemical, disease).
signature(associated_with, gene, gene).
signature(associated_with, gene, chemical).
signature(associated_with, chemical, gene).
signature(interacts_with, chemical, chemical).
signature(interacts_with, chemical, gene).
signature(interacts_with, gene, chemical).
signature(interacts_with, gene, gene).

% Relations stated without direction: a fact O-R-S also makes S-R-O known.
symmetric(interacts_with).
symmetric(associated_with).

% A therapeutic claim and an adverse-effect claim about the same pair oppose each other.
opposite(treats, induces).
opposite(palliates, induces).
opposite(induces, treats).
opposite(induces, palliates).

%!  tree_type(+TreeNumber, -Type)
%
%   MeSH branch C (Diseases) and F03 (Mental Disorders) are diseases, D (Chemicals and
%   Drugs) chemicals; any other branch is `other`.
tree_type(TreeNumber, Type) :-
    (   sub_atom(TreeNumber, 0, 1, _, 'C') -> Type = disease
    ;   sub_atom(TreeNumber, 0, 3, _, 'F03') -> Type = disease
    ;   sub_atom(TreeNumber, 0, 1, _, 'D') -> Type = chemical
    ;   Type = other
    ).

%!  entity_type(+M, +Entity, +Declared, -Type, -Step) is nondet.
%
%   Tree numbers decide first (one step per type, citing its first tree number); then a type
%   declared by a corpus; then Declared, the type the hypothesis itself gives (`none` if
%   unknown); else the entity is `unknown`.
entity_type(M, E, _, Type, [typed_tree, E, Type, TreeNumber]) :-
    M:tree(E, _), !,
    findall(T-TN, (M:tree(E, TN), tree_type(TN, T)), Pairs),
    sort(1, @<, Pairs, PerType),
    member(Type-TreeNumber, PerType).
entity_type(M, E, _, Type, [typed_declared, E, Type]) :-
    M:declared(E, _), !,
    M:declared(E, Type).
entity_type(_, E, Declared, Declared, [typed_hypothesis, E, Declared]) :-
    Declared \== none, !.
entity_type(_, E, _, unknown, [untyped, E]).

%!  kb_typing(+M, +R, +S, +O, +SDecl, +ODecl, -Passed, -Proof) is det.
%
%   Passed is true when some type of S and some type of O fit a signature of R; the proof
%   cites both types and the rule. Otherwise Passed is false and the proof lists every type
%   found and the signatures R accepts.
kb_typing(M, R, S, O, SDecl, ODecl, true, [StepS, StepO, Rule]) :-
    entity_type(M, S, SDecl, TS, StepS),
    entity_type(M, O, ODecl, TO, StepO),
    accepts(R, TS, TO, Rule), !.
kb_typing(M, R, S, O, SDecl, ODecl, false, Proof) :-
    findall(Step, entity_type(M, S, SDecl, _, Step), StepsS),
    findall(Step, entity_type(M, O, ODecl, _, Step), StepsO),
    findall([TS, TO], signature(R, TS, TO), Allowed),
    append(StepsS, StepsO, Steps),
    append(Steps, [[no_rule, R, Allowed]], Proof).

%!  kb_derive_parents(+M, -Count) is det.
%
%   Assert M:parent/4 for every tree number whose prefix up to its last dot is a tree number
%   too (C12.777.419.135.500 is under C12.777.419.135); Count is how many edges M holds.
kb_derive_parents(M, Count) :-
    forall(( M:tree(E, TN), parent_tree(TN, PTN), M:tree(P, PTN) ),
           assertz(M:parent(E, P, TN, PTN))),
    aggregate_all(count, M:parent(_, _, _, _), Count).

parent_tree(TreeNumber, ParentTree) :-
    atomic_list_concat(Parts, '.', TreeNumber),
    append(Init, [_], Parts),
    Init \== [],
    atomic_list_concat(Init, '.', ParentTree).

%!  accepts(+R, +SubjectType, +ObjectType, -RuleStep) is semidet.
%
%   R accepts the types as given, or (for a symmetric relation) the other way round: BioRED
%   states "disease Association gene" as often as "gene Association disease".
accepts(R, TS, TO, [rule, well_typed, R, TS, TO]) :-
    signature(R, TS, TO), !.
accepts(R, TS, TO, [rule, well_typed_symmetric, R, TO, TS]) :-
    symmetric(R),
    signature(R, TO, TS).

%!  ancestor_paths(+M, +X, -Pairs) is det.
%
%   Every ancestor A of X with a shortest is-a path to it, as A-Steps where Steps runs from X
%   upwards as [parent, Child, ChildTree, Parent, ParentTree] steps (breadth-first search).
ancestor_paths(M, X, Pairs) :-
    bfs(M, [X-[]], [X], [], Pairs).

bfs(_, [], _, Acc, Pairs) :-
    reverse(Acc, Pairs).
bfs(M, [Node-Rev|Queue], Seen, Acc, Pairs) :-
    findall(P-[[parent, Node, NT, P, PT]|Rev], M:parent(Node, P, NT, PT), Found),
    sort(1, @<, Found, Unique),
    exclude(seen_key(Seen), Unique, New),
    pairs_keys(New, NewKeys),
    append(Seen, NewKeys, Seen1),
    append(Queue, New, Queue1),
    foldl(add_path, New, Acc, Acc1),
    bfs(M, Queue1, Seen1, Acc1, Pairs).

seen_key(Seen, Key-_) :-
    memberchk(Key, Seen).

add_path(A-Rev, Acc, [A-Steps|Acc]) :-
    reverse(Rev, Steps).

%!  known_at(+M, +S, +R, +O, ?Level, -Steps) is nondet.
%
%   S R O holds in M exactly, for a narrower object (a descendant of O: implies the claim) or
%   for a broader object (an ancestor of O), or for a sibling (sharing a parent with O).
known_at(M, S, R, O, exact, [[fact, S, R, O]]) :-
    M:fact(S, R, O).
known_at(M, S, R, O, exact, [[fact, O, R, S], [rule, symmetric, R]]) :-
    symmetric(R),
    M:fact(O, R, S).
known_at(M, S, R, O, narrower, [[fact, S, R, D]|Path]) :-
    M:fact(S, R, D),
    D \== O,
    ancestor_paths(M, D, Ancestors),
    memberchk(O-Path, Ancestors).
known_at(M, S, R, O, broader, [[fact, S, R, A]|Path]) :-
    ancestor_paths(M, O, Ancestors),
    member(A-Path, Ancestors),
    M:fact(S, R, A).
known_at(M, S, R, O, sibling, [[fact, S, R, X], StepO, StepX]) :-
    M:parent(O, P, OT, PT),
    M:parent(X, P, XT, PT2),
    X \== O,
    M:fact(S, R, X),
    StepO = [parent, O, OT, P, PT],
    StepX = [parent, X, XT, P, PT2].

%!  kb_known(+M, +S, +R, +O, -Level, -Proof) is semidet.
%
%   The strongest way S R O is known: exact, else narrower (a fact about a descendant of O
%   entails it), else broader (a fact about an ancestor of O). Sibling facts do not count.
kb_known(M, S, R, O, Level, Proof) :-
    member(Level, [exact, narrower, broader]),
    known_at(M, S, R, O, Level, Steps), !,
    append(Steps, [[rule, known, Level]], Proof).

%!  kb_contradicts(+M, +S, +R, +O, -Level, -Proof) is semidet.
%
%   The closest known fact that opposes S R O: the opposite relation (treats/palliates versus
%   induces) for O itself, a narrower, a broader or a sibling disease, in that order.
kb_contradicts(M, S, R, O, Level, Proof) :-
    member(Level, [exact, narrower, broader, sibling]),
    opposite(R, Opposite),
    known_at(M, S, Opposite, O, Level, Steps), !,
    append(Steps, [[rule, contradicts, R, Opposite, Level]], Proof).

%!  kb_contradiction_levels(+M, +S, +R, +O, -Found) is det.
%
%   Every level at which a known fact opposes S R O, each with one proof, as [Level, Proof] pairs
%   in the order exact, narrower, broader, sibling, class. The first four are those of
%   kb_contradicts (which stops at the first); `class` is a class effect: a chemical sharing a
%   MeSH parent with S (glucocorticoids, catecholamines) has the opposite relation to O itself.
%   kb_contradicts never uses `class`; this predicate lets audits score each rule on its own.
kb_contradiction_levels(M, S, R, O, Found) :-
    findall([Level, Proof],
            ( member(Level, [exact, narrower, broader, sibling, class]),
              once(( opposite(R, Opposite), opposed_at(M, S, Opposite, O, Level, Steps) )),
              append(Steps, [[rule, contradicts, R, Opposite, Level]], Proof) ),
            Found).

opposed_at(M, S, R, O, class, [[fact, X, R, O], StepS, StepX]) :-
    !,
    M:parent(S, P, ST, PT),
    M:parent(X, P, XT, PT2),
    X \== S,
    M:fact(X, R, O),
    StepS = [parent, S, ST, P, PT],
    StepX = [parent, X, XT, P, PT2].
opposed_at(M, S, R, O, Level, Steps) :-
    known_at(M, S, R, O, Level, Steps).

%!  kb_check(+M, +R, +S, +O, +SDecl, +ODecl, -Typing, -Known, -Contradiction, -HasRule) is det.
%
%   All three checks in one call (one round trip from Python): Typing = [Passed, Proof];
%   Known and Contradiction = [Level, Proof] or `none`; HasRule tells whether any
%   contradiction rule covers R.
kb_check(M, R, S, O, SDecl, ODecl, [Passed, TypingProof], Known, Contradiction, HasRule) :-
    kb_typing(M, R, S, O, SDecl, ODecl, Passed, TypingProof),
    (   kb_known(M, S, R, O, Level, Proof) -> Known = [Level, Proof] ; Known = none ),
    (   kb_contradicts(M, S, R, O, CLevel, CProof)
    ->  Contradiction = [CLevel, CProof]
    ;   Contradiction = none
    ),
    (   opposite(R, _) -> HasRule = true ; HasRule = false ).
