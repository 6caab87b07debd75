#' @useDynLib crew, .registration = TRUE
NULL

.onUnload <- function(libpath) {
  # Dispatchers run on threads of this process; stop them before the code
  # they run is unmapped.
  try(native_shutdown(), silent = TRUE)
  library.dynam.unload("crew", libpath)
}

# R6 and processx are used only inside R6 class definitions and methods,
# where R CMD check's usage scan does not look; naming them here records
# the dependency without loading them with the package.
imports_used_in_classes <- function() {
  list(R6::R6Class, processx::process)
}
