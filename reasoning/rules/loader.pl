% Loading Prolog source files so that errors reach Python instead of stderr.
%
% consult/1 and load_files/2 print syntax errors and carry on loading the rest of the file, so
% a typo silently drops a rule. sd_load/3 loads a file while a message hook records every
% error and warning message (with the file and line where SWI-Prolog reports one), then hands
% them to Python, which raises PrologSyntaxError for errors and logs the warnings.

:- module(sd_loader, [sd_load/3]).

:- meta_predicate sd_load(:, -, -).

:- dynamic collecting/0.
:- dynamic collected/3.

:- multifile user:message_hook/3.
:- dynamic user:message_hook/3.

% While collecting, swallow errors and warnings (Python raises or logs them) and keep them
% with their location.
user:message_hook(Message, Kind, _Lines) :-
    collecting,
    memberchk(Kind, [error, warning]),
    message_location(Message, Where),
    message_text(Message, Text),
    assertz(collected(Kind, Where, Text)).

message_location(error(syntax_error(_), file(File, Line, Column, _)), at(File, Line, Column)) :- !.
message_location(error(syntax_error(_), stream(_, Line, Column, _)), at(File, Line, Column)) :-
    source_location(File, _), !.
message_location(_, at(File, Line, 0)) :-
    source_location(File, Line), !.
message_location(_, at('', 0, 0)).

message_text(error(syntax_error(What), _), Text) :- !,
    message_to_codes(error(syntax_error(What), _), Codes),
    atom_codes(Text, Codes).
message_text(Message, Text) :-
    message_to_codes(Message, Codes), !,
    atom_codes(Text, Codes).
message_text(Message, Text) :-
    format(atom(Text), '~q', [Message]).

message_to_codes(Message, Codes) :-
    '$messages':translate_message(Message, Lines, []),
    with_output_to(codes(Codes), print_message_lines(current_output, '', Lines)).

%!  sd_load(+File, -Errors, -Warnings) is det.
%
%   Load File (always reloading it) and unify Errors with a list of
%   [File, Line, Column, Text] for every error message printed meanwhile, Warnings likewise
%   for warnings. File is
%   module-qualified; clauses of a non-module file go into that module (user from Python).
sd_load(File, Errors, Warnings) :-
    retractall(collected(_, _, _)),
    setup_call_cleanup(
        assertz(collecting),
        catch(load_files(File, [if(true)]), Caught, record_caught(Caught)),
        retractall(collecting)),
    findall([F, L, C, T], retract(collected(error, at(F, L, C), T)), Errors),
    findall([F, L, C, T], retract(collected(warning, at(F, L, C), T)), Warnings),
    unload_if_failed(Errors, File).

% A file with errors is unloaded again, so no half-loaded rule set stays behind.
unload_if_failed([], _) :- !.
unload_if_failed(_, _:File) :-
    catch(unload_file(File), _, true).

record_caught(Caught) :-
    message_text(Caught, Text),
    assertz(collected(error, at('', 0, 0), Text)).
