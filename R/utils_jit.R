# Code that runs once per controller or per launch is interpreted rather
# than compiled. R6 objects carry their own copies of their methods, R drops
# the bytecode of a copied closure, and R's JIT then compiles every method
# of every new object at its first call, which cost a new two-worker
# controller about 75 ms of its first 230 (processx's process objects
# included). Methods that run once are cheaper to interpret; ones called
# again later are compiled then, as usual. The previous JIT level is
# restored however the caller ends.
local_without_jit <- function(envir = parent.frame()) {
  level <- compiler::enableJIT(0L)
  restore <- bquote(compiler::enableJIT(.(level)))
  do.call(base::on.exit, list(restore, add = TRUE), envir = envir)
  invisible()
}

without_jit <- function(expr) {
  local_without_jit()
  expr
}
