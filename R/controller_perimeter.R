# A controller that listens on a public address without TLS would send
# tasks, data and results across the internet in plain text: warn once per
# controller, naming the address. Loopback, private and link-local
# addresses (see crew_core::net::is_public) never warn.
controller_warn_perimeter <- function(private) {
  client <- private$.client
  if (isTRUE(private$.perimeter_warned) || !identical(client$tls$mode, "none")) {
    return(invisible())
  }
  public <- native_public_addresses(as.character(client$host))
  if (length(public)) {
    private$.perimeter_warned <- TRUE
    crew_warning(
      sprintf(
        paste(
          "the controller listens on %s, a public address, without TLS:",
          "tasks, their data and their results would cross the network in",
          "plain text. Use tls = crew_tls(mode = \"automatic\") unless every",
          "worker is on a private network."
        ),
        public[[1L]]
      )
    )
  }
  invisible()
}
