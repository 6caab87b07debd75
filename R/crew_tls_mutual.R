#' @title Require workers to present certificates
#' @export
#' @family tls
#' @description Turn a TLS configuration into mutual TLS: besides workers
#'   verifying the client, the client accepts only workers that present a
#'   certificate signed by a given certificate authority. Every worker
#'   still proves its launch credential as well.
#' @details Mutual TLS is for workers on machines you do not fully
#'   control, such as cloud or shared cluster nodes: a copied worker call
#'   is useless without the worker key, which never leaves the worker
#'   machines. The paths in `certificates` and `key` are read by each
#'   worker when it starts, so they must exist where the workers run. Keep
#'   the key file readable only by the account that runs the workers.
#' @return A `crew_class_tls` object like the one in `tls`, which it
#'   modifies.
#' @param tls A [crew_tls()] object with `mode = "automatic"` or
#'   `mode = "custom"`.
#' @param authority Character vector of paths to PEM certificate files of
#'   the authorities whose signature a worker certificate must carry,
#'   read by the client.
#' @param certificates Character vector of paths to each worker's PEM
#'   certificate chain (the worker's certificate first), as seen by the
#'   workers.
#' @param key Path to each worker's unencrypted PEM private key, as seen by
#'   the workers.
#' @examples
#' \dontrun{
#' tls <- crew_tls_mutual(
#'   tls = crew_tls(mode = "automatic"),
#'   authority = "workers-ca.pem",
#'   certificates = "/etc/crew/worker.pem",
#'   key = "/etc/crew/worker-key.pem"
#' )
#' controller <- crew_controller_local(tls = tls)
#' }
crew_tls_mutual <- function(
  tls = crew::crew_tls(mode = "automatic"),
  authority,
  certificates,
  key
) {
  crew_assert(
    inherits(tls, "crew_class_tls"),
    message = "tls must be an object created by crew_tls()."
  )
  tls$require_workers(
    authority = authority,
    certificates = certificates,
    key = key
  )
  tls$validate(test = FALSE)
  tls
}
