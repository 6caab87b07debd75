# Addresses of this machine, for listening where workers can reach us.

host_default_ipv4 <- function() {
  interfaces <- native_interfaces()
  usable <- interfaces$address[!interfaces$loopback & !interfaces$ipv6]
  if (length(usable)) usable[[1L]] else "127.0.0.1"
}

# The address a client listens on. `host` may be an IP address, a host name,
# or the name of a network interface of this machine (on a cluster, "ib0"
# makes workers dial over the fast fabric), whose IPv4 address is used or,
# if it has none, its IPv6 address. An interface name wins over a
# host name of the same spelling. A value that is not a nonempty string is
# returned as it is, so that validate() can report it.
host_resolve <- function(host) {
  if (!(is.character(host) && length(host) == 1L && !is.na(host) && nzchar(host))) {
    return(host)
  }
  if (host_is_ip(host)) {
    return(host)
  }
  interfaces <- native_interfaces()
  match <- match(host, interfaces$name)
  if (!is.na(match)) {
    return(interfaces$address[[match]])
  }
  if (host_resolves(host)) {
    return(host)
  }
  crew_error(
    sprintf(
      paste(
        "host \"%s\" is neither an IP address, a host name that resolves,",
        "nor a network interface of this machine with an address",
        "(interfaces that are up: %s)."
      ),
      host,
      paste(unique(interfaces$name), collapse = ", ")
    )
  )
}

host_is_ip <- function(host) {
  grepl("^[0-9]{1,3}([.][0-9]{1,3}){3}$", host) || grepl(":", host, fixed = TRUE)
}

# utils::nsl() exists only on Unix; elsewhere the name is left for the
# listener to resolve.
host_resolves <- function(host) {
  utils <- asNamespace("utils")
  if (!exists("nsl", envir = utils, inherits = FALSE)) {
    return(TRUE)
  }
  !is.null(suppressWarnings(get("nsl", envir = utils)(host)))
}
