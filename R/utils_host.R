# Addresses of this machine, for listening where workers can reach us.

host_default_ipv4 <- function() {
  interfaces <- native_interfaces()
  usable <- interfaces$address[!interfaces$loopback]
  if (length(usable)) usable[[1L]] else "127.0.0.1"
}
