# Result rows, summaries and launch tables are tibbles. They are built
# here by setting attributes, which costs nothing per row and needs no
# package; tibble's namespace, which gives them their printing and
# subsetting methods, is loaded once, the first time such an object goes
# to the user. library(crew) itself does not load it, so the client starts
# faster and smaller, and workers never load it.

new_rows <- function(columns, nrow) {
  attributes(columns) <- list(
    names = names(columns),
    row.names = if (nrow > 0L) c(NA_integer_, -nrow) else integer(0L),
    class = c("tbl_df", "tbl", "data.frame")
  )
  columns
}

tibble_ready <- local({
  loaded <- FALSE
  function() {
    if (!loaded) {
      loadNamespace("tibble")
      loaded <<- TRUE
    }
    invisible()
  }
})
