#' @title Serialization for objects behind external pointers.
#' @export
#' @family serialization
#' @description Some objects keep their state outside R's memory, behind an
#'   external pointer: tensors, arrow tables, database connections, model
#'   handles. R's `serialize()` writes such a pointer as a null pointer, so
#'   the object arrives broken on a worker. `crew_serial_config()` names the
#'   classes of these objects and, for each, a function that turns an object
#'   into a raw vector and one that turns the raw vector back into the
#'   object. Give the result as the `serialization` argument of a controller
#'   (or [crew_client()]); it applies wherever objects travel between the
#'   controller and its workers, in both directions: task data, globals and
#'   commands going out, results coming back, however deeply the objects
#'   are nested in lists. Workers receive the functions from the
#'   controller when they connect, so nothing needs configuring on them,
#'   but packages the functions call must be installed there.
#' @details The value is the same list `mirai::serial_config()` and
#'   `nanonext::serial_config()` return, and those are accepted too. The
#'   functions see each object that inherits from one of `class`. That
#'   includes external pointers and environments (reference objects, which
#'   is how R lets packages take over their serialization), not plain
#'   vectors or lists, whose class never matters here.
#' @return An unnamed list of three elements: the character vector `class`,
#'   a list of the serialize functions and a list of the unserialize
#'   functions, one of each per class.
#' @param class Character vector of class names, one per kind of object.
#' @param sfunc A function, or a list of functions, one per class: each
#'   takes an object of its class and returns a raw vector.
#' @param ufunc A function, or a list of functions, one per class: each
#'   takes the raw vector `sfunc` returned and returns the object.
#' @examples
#' # A class of objects whose state lives in a registry, keyed by the
#' # address of an external pointer, stands in here for an object built
#' # on native memory.
#' registry <- new.env()
#' make_handle <- function(value) {
#'   pointer <- structure(new("externalptr"), class = "demo_handle")
#'   assign(format(pointer), value, envir = registry)
#'   pointer
#' }
#' config <- crew_serial_config(
#'   class = "demo_handle",
#'   sfunc = function(x) serialize(get(format(x), envir = registry), NULL),
#'   ufunc = function(bytes) make_handle(unserialize(bytes))
#' )
#' str(config)
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   controller <- crew_controller_local(serialization = config)
#'   controller$start()
#'   controller$push(pointer, data = list(pointer = make_handle(42)))
#'   controller$wait()
#'   controller$pop()$result
#'   controller$terminate()
#' }
crew_serial_config <- function(class, sfunc, ufunc) {
  crew_assert(
    class,
    is.character(.),
    length(.) > 0L,
    !anyNA(.),
    all(nzchar(.)),
    !anyDuplicated(.),
    message = "class must be a character vector of distinct nonempty class names."
  )
  functions <- list(sfunc = serial_functions(sfunc), ufunc = serial_functions(ufunc))
  for (argument in names(functions)) {
    crew_assert(
      functions[[argument]],
      is.list(.),
      length(.) == length(class),
      all(vapply(., is.function, logical(1L))),
      message = sprintf("%s must be a function or a list of one function per class.", argument)
    )
  }
  config <- list(class, functions$sfunc, functions$ufunc)
  serial_config_validate(config, argument = "crew_serial_config()")
  config
}

serial_functions <- function(x) {
  if (is.function(x)) list(x) else x
}

# Validates a serialization configuration: NULL, or the list
# crew_serial_config() returns (as mirai::serial_config() does).
serial_config_validate <- function(config, argument = "serialization") {
  if (is.null(config)) {
    return(invisible())
  }
  shape <- paste(
    argument,
    "must be NULL or a list of classes, serialize functions and",
    "unserialize functions, as from crew_serial_config()."
  )
  crew_assert(config, is.list(.), length(.) == 3L, message = shape)
  classes <- config[[1L]]
  crew_assert(
    is.character(classes),
    length(classes) > 0L,
    !anyNA(classes),
    all(nzchar(classes)),
    message = paste(argument, "must name its classes in a nonempty character vector.")
  )
  for (index in c(2L, 3L)) {
    what <- c("", "serialize", "unserialize")[index]
    functions <- config[[index]]
    crew_assert(
      functions,
      is.list(.),
      length(.) == length(classes),
      all(vapply(., is.function, logical(1L))),
      message = sprintf(
        "%s needs one %s function for each of its %d classes.",
        argument,
        what,
        length(classes)
      )
    )
  }
  invisible()
}

# What every worker of a client receives when it connects: the
# configuration, serialized, or nothing.
serial_config_bytes <- function(config) {
  if (is.null(config)) raw(0L) else serialize(config, NULL, xdr = FALSE)
}
