#' @useDynLib crew, .registration = TRUE
NULL

.onUnload <- function(libpath) {
  # Dispatchers run on threads of this process; stop them before the code
  # they run is unmapped.
  try(native_shutdown(), silent = TRUE)
  library.dynam.unload("crew", libpath)
}
