# Text of a task's command, messages and call stack, cut and cleaned as
# result rows need it.

#' @title Deparse a task command
#' @keywords internal
#' @param command Language object or constant.
#' @return Character string, lines joined with newlines.
crew_eval_deparse <- function(command) {
  paste(
    deparse(
      command,
      control = c("keepNA", "keepInteger", "niceNames"),
      backtick = TRUE
    ),
    collapse = "\n"
  )
}

#' @title Deparse a task command, reusing the last result
#' @description Tasks from `walk()` and `map()` share one command, so a
#'   worker deparses it once instead of once per task.
#' @keywords internal
#' @param command Language object.
#' @return A string.
crew_eval_deparse_cached <- function(command) {
  cache <- crew_eval_cache
  if (is.null(cache$command_text) || !identical(command, cache$command)) {
    cache$command_text <- crew_eval_deparse(command)
    cache$command <- command
  }
  cache$command_text
}

#' @title Clean error or warning text
#' @description Collapse a message to one string, replace an empty message
#'   with `"."`, cut it to `crew_eval_max_nchar` characters, and replace
#'   text that is not valid UTF-8 with a fixed notice.
#' @keywords internal
#' @param text Character vector, usually a condition message.
#' @return Character string.
crew_eval_text <- function(text) {
  tryCatch(
    {
      text <- paste(as.character(text), collapse = "\n")
      # enc2utf8() silently escapes invalid bytes, so text that claims
      # to be UTF-8 already is checked before the conversion.
      claims_utf8 <- isTRUE(l10n_info()[["UTF-8"]]) ||
        identical(Encoding(text), "UTF-8")
      if (claims_utf8 && !validUTF8(text)) {
        return(crew_eval_text_encoding)
      }
      text <- enc2utf8(text)
      if (!validUTF8(text)) {
        crew_eval_text_encoding
      } else if (!nzchar(text)) {
        "."
      } else {
        substr(text, start = 1L, stop = crew_eval_max_nchar)
      }
    },
    error = function(condition) crew_eval_text_encoding
  )
}

#' @title Call stack text of an error
#' @keywords internal
#' @param calls List of calls from `sys.calls()`.
#' @return Character string, one call per line, cut to
#'   `crew_eval_max_nchar` characters.
crew_eval_trace <- function(calls) {
  text <- paste(as.character(calls), collapse = "\n")
  # The innermost calls say where the error happened, so a long trace
  # keeps its end.
  characters <- nchar(text, type = "chars", allowNA = TRUE)
  if (!is.na(characters) && characters > crew_eval_max_nchar) {
    text <- substr(text, characters - crew_eval_max_nchar + 1L, characters)
  }
  crew_eval_text(text)
}
