#!/usr/bin/env bash
# split_words TEXT: sets the array `words` to TEXT split the way a POSIX shell splits a command
# line, for action.yml's `args` input (sourced by action-run.sh).
#
# Why not `read -a` or `eval`: `read -a` splits `--write-cmd "mystore put {id}"` into four words, and
# `eval` would run `$(...)` from an input. This is the quoting of a shell and nothing else: '...' is
# literal, "..." keeps \" \\ \$ \` as escapes, a backslash outside quotes escapes the next character,
# a backslash-newline joins lines, and a word starting with # comments out the rest of its line. No
# variable, command, tilde or glob expansion ever happens. It is a transcription of the state
# machine of the `shell-words` crate, which the tool uses for --provider-cmd and --write-cmd, so an
# input and a flag split the same way (tests/action_args.rs compares the two).
# Returns 1 on an unterminated quote.
split_words() {
  local text=$1 word="" state=delim c i=0 n=${#1}
  words=()
  while :; do
    if [ "$i" -lt "$n" ]; then c=${text:i:1}; else c=""; fi
    # An empty c is the end of the text (a character is never empty).
    case $state in
      delim)
        case $c in
          "") break ;;
          "'") state=single ;;
          '"') state=double ;;
          \\) state=backslash ;;
          ' ' | $'\t' | $'\n') ;;
          '#') state=comment ;;
          *) word+=$c; state=unquoted ;;
        esac ;;
      backslash)
        case $c in
          "") words+=("\\"); break ;;
          $'\n') state=delim ;;
          *) word+=$c; state=unquoted ;;
        esac ;;
      unquoted)
        case $c in
          "") words+=("$word"); break ;;
          "'") state=single ;;
          '"') state=double ;;
          \\) state=unquoted_backslash ;;
          ' ' | $'\t' | $'\n') words+=("$word"); word=""; state=delim ;;
          *) word+=$c ;;
        esac ;;
      unquoted_backslash)
        case $c in
          "") words+=("$word\\"); break ;;
          $'\n') state=unquoted ;;
          *) word+=$c; state=unquoted ;;
        esac ;;
      single)
        case $c in
          "") return 1 ;;
          "'") state=unquoted ;;
          *) word+=$c ;;
        esac ;;
      double)
        case $c in
          "") return 1 ;;
          '"') state=unquoted ;;
          \\) state=double_backslash ;;
          *) word+=$c ;;
        esac ;;
      double_backslash)
        case $c in
          "") return 1 ;;
          $'\n') state=double ;;
          '$' | '`' | '"' | \\) word+=$c; state=double ;;
          *) word+="\\$c"; state=double ;;
        esac ;;
      comment)
        case $c in
          "") break ;;
          $'\n') state=delim ;;
        esac ;;
    esac
    i=$((i + 1))
  done
  return 0
}
