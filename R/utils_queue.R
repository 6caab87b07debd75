#' @title First-in, first-out queue of names
#' @description Create a queue of task names, as used by controllers for
#'   the names of resolved tasks and of backlogged tasks.
#' @details The names live in a character vector whose capacity doubles
#'   when full, with indices of the first and last queued element, so that
#'   each push and pop costs amortised constant time per name. The state is
#'   held in the closure and updated with `<<-`, which modifies the vector in
#'   place (an environment field would be copied on every assignment).
#' @keywords internal
#' @return An environment of class `c("crew_queue", "environment")` with
#'   these functions:
#'   * `push(x)`: append the names in character vector `x`.
#'   * `pop(n = 1L)`: remove and return the first `n` names (fewer if the
#'     queue is shorter, `character(0)` if it is empty).
#'   * `size()`: number of queued names.
#'   * `as_list()`: list of the queued names in order.
#'   * `clear()`: remove all names.
#'   * `nonempty()`, `empty()`: whether the queue holds any names.
crew_queue <- function() {
  capacity_min <- 16L
  data <- character(capacity_min)
  head <- 1L
  tail <- 0L
  count <- function() {
    tail - head + 1L
  }
  # Move the queued names to the front of a vector with room for at least
  # twice `needed` names, so that compaction is rare even when the queue
  # stays nearly full.
  reserve <- function(needed) {
    size <- tail - head + 1L
    capacity <- length(data)
    while (capacity < 2L * needed) {
      capacity <- 2L * capacity
    }
    fresh <- character(capacity)
    if (size > 0L) {
      fresh[seq_len(size)] <- data[seq.int(head, tail)]
    }
    data <<- fresh
    head <<- 1L
    tail <<- size
  }
  push <- function(x) {
    n <- length(x)
    if (n == 1L) {
      if (tail == length(data)) {
        reserve(tail - head + 2L)
      }
      tail <<- tail + 1L
      data[tail] <<- as.character(x)
    } else if (n > 1L) {
      if (tail + n > length(data)) {
        reserve(tail - head + 1L + n)
      }
      data[seq.int(tail + 1L, tail + n)] <<- as.character(x)
      tail <<- tail + n
    }
    invisible()
  }
  pop <- function(n = 1L) {
    available <- tail - head + 1L
    if (n > available) {
      n <- available
    }
    if (n < 1L) {
      return(character(0L))
    }
    if (n == 1L) {
      out <- data[head]
    } else {
      out <- data[seq.int(head, head + n - 1L)]
    }
    head <<- head + n
    if (head > tail) {
      head <<- 1L
      tail <<- 0L
    }
    out
  }
  size <- function() {
    count()
  }
  as_list <- function() {
    if (count() < 1L) {
      return(list())
    }
    as.list(data[seq.int(head, tail)])
  }
  clear <- function() {
    data <<- character(capacity_min)
    head <<- 1L
    tail <<- 0L
    invisible()
  }
  nonempty <- function() {
    count() > 0L
  }
  empty <- function() {
    count() < 1L
  }
  out <- new.env(parent = emptyenv())
  out$push <- push
  out$pop <- pop
  out$size <- size
  out$as_list <- as_list
  out$clear <- clear
  out$nonempty <- nonempty
  out$empty <- empty
  class(out) <- c("crew_queue", "environment")
  out
}
