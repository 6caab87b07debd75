#' @useDynLib crew, .registration = TRUE
NULL

# Attaching the package (library(crew), as a client script does) loads
# tibble's namespace, so that the first result rows already print and
# subset as tibbles, and processx's, which starts local workers (its first
# load takes some 40 ms, which would otherwise delay the first launch).
# Workers only load the namespace (crew::crew_worker()) and pay for
# neither.
.onAttach <- function(libname, pkgname) {
  tibble_ready()
  loadNamespace("processx")
}

.onUnload <- function(libpath) {
  # Dispatchers and dashboards run on threads of this process; stop them
  # before the code they run is unmapped.
  try(native_shutdown(), silent = TRUE)
  library.dynam.unload("crew", libpath)
}

# R6 and processx are used only inside R6 class definitions and methods,
# where R CMD check's usage scan does not look, and tibble's namespace is
# loaded by name (see tibble_ready()); naming them here records the
# dependencies without loading them with the package.
imports_used_in_classes <- function() {
  list(R6::R6Class, processx::process, tibble::tibble)
}

# R6 keeps each class's methods in its generator, where the byte compiler
# that compiles the package's functions at install time does not look, so
# every process would compile each method on its first call (about 50 ms
# for a controller's first validate()). They are compiled here instead,
# once, when the package is installed.
r6_compile_methods <- function(generator) {
  for (field in c("public_methods", "private_methods", "active")) {
    methods <- generator[[field]]
    if (length(methods)) {
      generator[[field]] <- lapply(
        methods,
        function(method) if (is.function(method)) compiler::cmpfun(method) else method
      )
    }
  }
  invisible()
}

for (generator in list(
  crew_class_client,
  crew_class_controller,
  crew_class_controller_group,
  crew_class_controller_sequential,
  crew_class_launcher,
  crew_class_launcher_local,
  crew_class_monitor_local,
  crew_class_relay,
  crew_class_throttle,
  crew_class_tls
)) {
  r6_compile_methods(generator)
}
rm(generator)

.onLoad <- function(libname, pkgname) {
  task_rules_load(topenv())
}
